// Shows an event's new updates without a reload. When the site names its edit API
// (site.yaml's api_url), it follows the API's live stream of the event; whenever that is
// not open (no API, API down, blocked) it polls the event's activities.json every 45 s
// instead. New entries go to the top of "Latest updates", which screen readers announce
// politely (aria-live). Without JavaScript the page is as built.
(function () {
  "use strict";
  var section = document.querySelector(".live-updates[data-event]");
  if (!section) return;
  var list = section.querySelector("ol");
  var event = section.getAttribute("data-event");
  var site = section.getAttribute("data-site") || "/";
  var api = section.getAttribute("data-api");
  var mirror = section.getAttribute("data-mirror");
  var POLL_MS = 45000;
  var seen = {};
  var newest = "";
  var timer = null;
  // The page's words for what this script writes, by their English (`{user}` marks where
  // the value goes): the section's data-labels, as JSON; English without them.
  var labels = {};
  try { labels = JSON.parse(section.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }

  function t(english, values) {
    var text = labels[english] || english;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  Array.prototype.forEach.call(list.querySelectorAll("li.entry[id^='activity-']"), function (li) {
    var id = li.id.slice("activity-".length);
    seen[id] = true;
    if (id > newest) newest = id;
  });

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function add(parent, tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    parent.appendChild(node);
    parent.appendChild(document.createTextNode(" "));
    return node;
  }

  function show(a) {
    if (!a || typeof a.id !== "string" || seen[a.id] || a.event !== event) return;
    seen[a.id] = true;
    if (a.id > newest) newest = a.id;
    var li = document.createElement("li");
    li.className = "entry live-entry";
    li.id = "activity-" + a.id;
    var when = new Date(a.date);
    var time = add(li, "time", "", isNaN(when) ? "" : pad(when.getHours()) + ":" + pad(when.getMinutes()));
    time.setAttribute("datetime", a.date || "");
    if (a.project) {
      var link = add(li, "a", "", a.project);
      link.href = site + encodeURIComponent(event) + "/" + encodeURIComponent(a.project) + "/";
    }
    add(li, "span", "kind", t(a.action === "announce" ? "announcement" : a.action || a.name || "update"));
    if (a.user) li.appendChild(document.createTextNode(t("by {user}", { user: a.user }) + " "));
    var text = (a.content || "").trim();
    if (text) add(li, "p", "entry-text", text.length > 600 ? text.slice(0, 600) + " …" : text);
    var empty = section.querySelector("p.meta");
    if (empty) empty.parentNode.removeChild(empty);
    list.insertBefore(li, list.firstChild);
  }

  function poll() {
    if (!mirror || !window.fetch) return;
    fetch(mirror, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        var items = (data && data.activities) || [];
        items.filter(function (a) { return a.id > newest; }).reverse().forEach(show);
      })
      .catch(function () { /* offline: try again at the next tick */ });
  }

  function startPolling() {
    if (timer === null) timer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  if (!api || !window.EventSource) {
    startPolling();
    return;
  }
  var url = api + "/api/v1/events/" + encodeURIComponent(event) + "/stream";
  var source;
  function connect() {
    source = new EventSource(url + (newest ? "?after=" + encodeURIComponent(newest) : ""));
    source.addEventListener("open", stopPolling);
    source.addEventListener("activity", function (e) {
      try { show(JSON.parse(e.data)); } catch (err) { /* not an activity */ }
    });
    source.addEventListener("error", function () {
      startPolling();
      if (source.readyState === EventSource.CLOSED) {
        // Refused (not reachable, too many streams): poll, and try the stream again later.
        window.setTimeout(connect, POLL_MS);
      }
    });
  }
  connect();
})();
