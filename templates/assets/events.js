// Sorts the archive's event list into "Happening now", "Upcoming events" and "Past
// events" on the day the page is read (the built page lists them newest first). An event
// is current from its first local day to its last; upcoming events come soonest first.
(function () {
  "use strict";
  var section = document.getElementById("events");
  if (!section) return;
  var items = Array.prototype.slice.call(section.querySelectorAll("li[data-start]"));
  var now = new Date();
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  var groups = { current: [], upcoming: [], past: [] };
  items.forEach(function (item) {
    var start = item.getAttribute("data-start").slice(0, 10);
    var end = item.getAttribute("data-end").slice(0, 10);
    groups[start > today ? "upcoming" : end >= today ? "current" : "past"].push(item);
  });
  groups.upcoming.reverse();
  // The page's words for the headings, by their English (the section's data-labels).
  var labels = {};
  try { labels = JSON.parse(section.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
  var headings = [["current", "Happening now"], ["upcoming", "Upcoming events"], ["past", "Past events"]];
  var parent = section.parentNode;
  headings.forEach(function (pair) {
    var found = groups[pair[0]];
    if (!found.length) return;
    var group = document.createElement("section");
    group.setAttribute("aria-labelledby", "events-" + pair[0]);
    var h2 = document.createElement("h2");
    h2.id = "events-" + pair[0];
    h2.textContent = labels[pair[1]] || pair[1];
    var list = document.createElement("ul");
    list.className = "events";
    found.forEach(function (item) { list.appendChild(item); });
    group.appendChild(h2);
    group.appendChild(list);
    parent.insertBefore(group, section);
  });
  parent.removeChild(section);
})();
