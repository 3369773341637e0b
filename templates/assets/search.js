/* Static search over the sharded index of search/ (written by site_builder/render/searchindex.py):
   meta.json once, then only the term shards a query needs and the result records it shows. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.getAttribute("data-index");
  var form = document.getElementById("search-form");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  if (!base || !form || !list || !status || !more) return;
  var input = form.elements.q, eventSel = form.elements.event, stageSel = form.elements.stage;
  var PAGE = 20, PREFIX = 0.7;
  var WORD = /[\p{L}\p{N}]{2,}/gu, ANY = /[\p{L}\p{N}]+/gu;
  var EXCERPT = 220;
  var meta = null, starts = {}, shards = {}, chunks = {}, pitches = {}, hits = [], shown = 0, words = [], run = 0;

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/ß/g, "ss");
  }
  function terms(text) { return fold(text).match(WORD) || []; }
  function shardOf(term) {
    var cs = Array.from(term);
    return (cs[0].codePointAt(0) * 31 + cs[1].codePointAt(0)) % meta.shards;
  }
  function load(cache, path) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (res) {
        if (!res.ok) throw new Error(res.status + " " + res.statusText);
        return res.json();
      });
    }
    return cache[path];
  }
  function label(name, values) {
    return (form.getAttribute("data-" + name) || "").replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  /* Scores of the documents holding `word` (or, as a prefix, a term it starts). */
  function scores(word, prefix) {
    return load(shards, "t/" + shardOf(word) + ".json").then(function (shard) {
      var out = new Map();
      Object.keys(shard).forEach(function (term) {
        var exact = term === word;
        if (!exact && !(prefix && term.lastIndexOf(word, 0) === 0)) return;
        var flat = shard[term], idf = Math.log(1 + meta.docs / (flat.length / 2));
        var factor = (exact ? 1 : PREFIX) * idf, doc = 0;
        for (var i = 0; i < flat.length; i += 2) {
          doc += flat[i];
          var s = flat[i + 1] * factor;
          if (!(out.get(doc) >= s)) out.set(doc, s);
        }
      });
      return out;
    });
  }

  function allowed(doc) {
    var ev = eventSel.value, st = stageSel.value;
    if (ev && !(doc >= starts[ev][0] && doc < starts[ev][1])) return false;
    return !st || meta.stage[doc] === Number(st);
  }

  /* Documents matching every word, best first; with no words, every document the filters allow. */
  function rank(query) {
    words = terms(query);
    var prefix = !/\s$/.test(query);
    if (!words.length) {
      var all = [];
      if (eventSel.value || stageSel.value) {
        for (var d = 0; d < meta.docs; d++) if (allowed(d)) all.push(d);
      }
      return Promise.resolve(all);
    }
    return Promise.all(words.map(function (w, i) {
      return scores(w, prefix && i === words.length - 1);
    })).then(function (maps) {
      var total = new Map();
      maps[0].forEach(function (s, doc) {
        if (!allowed(doc)) return;
        for (var i = 1; i < maps.length; i++) {
          var other = maps[i].get(doc);
          if (other === undefined) return;
          s += other;
        }
        total.set(doc, s);
      });
      return Array.from(total.keys()).sort(function (a, b) {
        return total.get(b) - total.get(a) || a - b;
      });
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  /* `text` with the words a query term starts marked. */
  function marked(tag, cls, text) {
    var node = el(tag, cls), last = 0;
    (text || "").replace(ANY, function (word, at) {
      var f = fold(word);
      if (!words.some(function (w) { return f.lastIndexOf(w, 0) === 0; })) return word;
      node.appendChild(document.createTextNode(text.slice(last, at)));
      node.appendChild(el("mark", "", word));
      last = at + word.length;
      return word;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }
  function matches(text) {
    return (fold(text).match(ANY) || []).some(function (f) {
      return words.some(function (w) { return f.lastIndexOf(w, 0) === 0; });
    });
  }
  /* The pitch's text, read from the project page itself: the index stays small, and a
     result found only in its pitch still shows why it was found. */
  function pitchOf(url) {
    if (!pitches[url]) {
      pitches[url] = fetch(url).then(function (res) { return res.ok ? res.text() : ""; }).then(function (html) {
        var section = new DOMParser().parseFromString(html, "text/html").querySelector("section.pitch");
        return section ? section.textContent.replace(/\s+/g, " ").trim() : "";
      }).catch(function () { return ""; });
    }
    return pitches[url];
  }
  /* About EXCERPT characters of `text` around its first word a query term starts, cut at spaces. */
  function excerpt(text) {
    var at = -1;
    text.replace(ANY, function (word, i) {
      if (at < 0 && matches(word)) at = i;
      return word;
    });
    if (at < 0) return "";
    var from = at < EXCERPT / 3 ? 0 : text.lastIndexOf(" ", at - EXCERPT / 3) + 1;
    var to = from + EXCERPT >= text.length ? text.length : text.lastIndexOf(" ", from + EXCERPT);
    if (to <= at) to = Math.min(text.length, from + EXCERPT);
    return (from > 0 ? "… " : "") + text.slice(from, to) + (to < text.length ? " …" : "");
  }
  function eventOf(doc) {
    for (var i = 0; i < meta.events.length; i++) {
      var e = meta.events[i];
      if (doc < starts[e[0]][1]) return e[1];
    }
    return "";
  }
  function card(doc, r) {
    var li = el("li", "search-result"), media = el("div", "search-media");
    function placeholder() {
      media.textContent = "";
      media.classList.add("search-placeholder");
      media.textContent = Array.from(r[0] || "?")[0].toUpperCase();
    }
    if (r[3]) {
      var img = el("img");
      img.alt = ""; img.loading = "lazy"; img.decoding = "async";
      img.addEventListener("error", placeholder);
      img.src = r[3];
      media.appendChild(img);
    } else {
      placeholder();
    }
    media.setAttribute("aria-hidden", "true");
    var body = el("div", "search-body"), h = el("h2", "search-title"), a = marked("a", "", r[0]);
    a.href = r[2];
    h.appendChild(a);
    body.appendChild(h);
    var stage = stageSel.querySelector('option[value="' + meta.stage[doc] + '"]');
    body.appendChild(el("p", "meta", eventOf(doc) + (stage ? " · " + stage.textContent : "")));
    if (r[1]) body.appendChild(marked("p", "search-summary", r[1]));
    if (r[4]) body.appendChild(marked("p", "search-team", label("by", { team: r[4] })));
    if (words.length && !matches(r[0]) && !matches(r[1]) && !matches(r[4])) {
      var slot = el("p", "search-excerpt");
      body.appendChild(slot);
      pitchOf(r[2]).then(function (text) {
        var part = excerpt(text);
        if (part) body.replaceChild(marked("p", "search-excerpt", part), slot);
      });
    }
    li.appendChild(media);
    li.appendChild(body);
    return li;
  }

  // `focus`: the visitor asked for more, so the first new result takes the keyboard focus
  // (the button may disappear, and focus must not fall back to the page's top).
  function showMore(token, focus) {
    var page = hits.slice(shown, shown + PAGE);
    var needed = page.map(function (d) { return Math.floor(d / meta.chunk); });
    return Promise.all(needed.map(function (k) { return load(chunks, "d/" + k + ".json"); })).then(function (got) {
      if (token !== run) return;
      var frag = document.createDocumentFragment();
      page.forEach(function (doc, i) { frag.appendChild(card(doc, got[i][doc % meta.chunk])); });
      var first = frag.firstChild;
      list.appendChild(frag);
      var link = focus && first ? first.querySelector("a") : null;
      if (link) link.focus();
      shown += page.length;
      more.hidden = shown >= hits.length;
    });
  }

  function search() {
    var query = input.value, token = ++run;
    var url = new URL(window.location.href), params = new URLSearchParams();
    [["q", query.trim()], ["event", eventSel.value], ["stage", stageSel.value]].forEach(function (p) {
      if (p[1]) params.set(p[0], p[1]);
    });
    url.search = params.toString();
    window.history.replaceState(null, "", url);
    list.setAttribute("aria-busy", "true");
    return rank(query).then(function (found) {
      if (token !== run) return;
      hits = found; shown = 0;
      list.textContent = "";
      more.hidden = true;
      var asked = terms(query).length || eventSel.value || stageSel.value;
      status.textContent = !asked ? "" : !hits.length ? label("none", {}) :
        hits.length === 1 ? label("one", {}) : label("many", { n: hits.length });
      return showMore(token);
    }).then(function () {
      if (token === run) list.setAttribute("aria-busy", "false");
    }).catch(failed);
  }
  function failed(err) { status.textContent = label("failed", { error: err.message }); }

  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(search, 100); }

  var params = new URL(window.location.href).searchParams;
  input.value = params.get("q") || "";
  eventSel.value = params.get("event") || "";
  stageSel.value = params.get("stage") || "";
  status.textContent = label("loading", {});
  load({}, "meta.json").then(function (data) {
    meta = data;
    var at = 0;
    meta.events.forEach(function (e) { starts[e[0]] = [at, at + e[2]]; at += e[2]; });
    status.textContent = "";
    input.addEventListener("input", later);
    eventSel.addEventListener("change", search);
    stageSel.addEventListener("change", search);
    more.addEventListener("click", function () { showMore(run, true); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); search(); });
    window.jamdatSearch = { search: search, ready: true };
    return search();
  }).catch(failed);
})();
