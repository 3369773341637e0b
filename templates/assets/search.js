/* Static search: loads search/index.json once and matches every query word. */
(function () {
  "use strict";
  var script = document.currentScript;
  var indexUrl = script && script.getAttribute("data-index");
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!indexUrl || !input || !list || !status) return;
  var records = null;
  var LIMIT = 100;

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function card(r) {
    var li = el("li", "card");
    var h = el("h3", "card-title");
    var a = el("a", "", r.n);
    a.href = r.u;
    h.appendChild(a);
    li.appendChild(h);
    li.appendChild(el("p", "meta", r.e + (r.g ? " · " + r.g : "") + (r.c ? " · " + r.c : "")));
    if (r.s) li.appendChild(el("p", "card-summary", r.s));
    if (r.t) li.appendChild(el("p", "card-team", r.t));
    return li;
  }

  function run() {
    var query = input.value.trim();
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    list.textContent = "";
    if (!query) { status.textContent = ""; return; }
    var words = fold(query).split(/\s+/).filter(Boolean);
    var hits = records.filter(function (r) {
      return words.every(function (w) { return r._text.indexOf(w) !== -1; });
    });
    hits.sort(function (a, b) {
      return (fold(b.n).indexOf(words[0]) !== -1) - (fold(a.n).indexOf(words[0]) !== -1);
    });
    status.textContent = hits.length === 0 ? "No projects match “" + query + "”." :
      hits.length + (hits.length === 1 ? " project" : " projects") +
      (hits.length > LIMIT ? ", showing the first " + LIMIT : "") + ".";
    var frag = document.createDocumentFragment();
    hits.slice(0, LIMIT).forEach(function (r) { frag.appendChild(card(r)); });
    list.appendChild(frag);
  }

  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(run, 120); }

  input.value = new URL(window.location.href).searchParams.get("q") || "";
  status.textContent = "Loading the index…";
  fetch(indexUrl).then(function (res) {
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    return res.json();
  }).then(function (data) {
    records = data.projects;
    records.forEach(function (r) {
      r._text = fold([r.n, r.s, r.e, r.g, r.c, r.t, r.x].join(" "));
    });
    status.textContent = "";
    input.addEventListener("input", later);
    input.form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
    run();
  }).catch(function (err) {
    status.textContent = "The search index could not be loaded (" + err.message + ").";
  });
})();
