/* Slide decks: keys, swipes, a black screen, #/n links, countdown, overview and a presenter view kept in
   step with the audience window (BroadcastChannel, or postMessage between the two windows).
   Loaded in <head> without defer, so the one-slide layout applies before the first paint. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  document.addEventListener('DOMContentLoaded', start);

  function start() {
    var deck = document.getElementById('deck');
    if (!deck) return;
    var root = document.documentElement;
    var slides = [].slice.call(deck.querySelectorAll('.slide'));
    var total = slides.length;
    var params = new URLSearchParams(location.search);
    var presenting = params.has('presenter');
    var seconds = parseTimer(params.get('timer')) || Number(deck.dataset.seconds) || 180;
    var key = 'jamdat-deck:' + location.pathname;
    var channel = 'BroadcastChannel' in window ? new BroadcastChannel(key) : null;
    var peer = presenting ? window.opener : null;
    var live = find('.deck-live'), nowEl = find('.deck-now'), gotoEl = find('.deck-goto');
    var help = find('#deck-help'), helpButton = find('.deck-keys'), bar = find('.deck-bar');
    var clocks = [find('.deck-timer')];
    var now = -1, typed = '', typedAt = 0, warned = '', hashAt = 0, hashTimer = 0, black = false;
    var timer = { team: '', running: false, since: 0, spent: 0 };
    var pv = null;

    var labels = readLabels();

    function find(selector) { return document.querySelector(selector); }

    // The deck's words in the page's language: slides.html writes them as JSON in
    // data-labels, with `{name}` where a value goes; English when a deck has none.
    function readLabels() {
      try { return JSON.parse(deck.dataset.labels || '{}'); } catch (e) { return {}; }
    }

    function t(english, values) {
      var text = labels[english] || english;
      return text.replace(/\{(\w+)\}/g, function (all, name) {
        return values && name in values ? String(values[name]) : all;
      });
    }

    function announce(text) { if (live) live.textContent = text; }

    function parseTimer(value) {
      var m;
      if (!value) return 0;
      if ((m = /^(\d+):(\d\d?)$/.exec(value))) return Number(m[1]) * 60 + Number(m[2]);
      if ((m = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min)?$/.exec(value))) {
        return m[2] && m[2][0] === 's' ? Number(m[1]) : Number(m[1]) * 60;
      }
      return 0;
    }

    function fits(el) {
      return el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1;
    }

    /* Long slides shrink in steps, and scroll when even the smallest size does not fit. A
       printed page cannot scroll: it has three more, smaller steps. */
    function fit(slide, steps) {
      var body = slide.querySelector('.slide-body');
      if (!body || !body.clientHeight) return;
      body.classList.remove('fit-1', 'fit-2', 'fit-3', 'fit-4', 'fit-5', 'fit-6', 'fit-7', 'fit-8', 'scroll');
      for (var i = 1; i <= (steps || 5) && !fits(body); i++) {
        body.classList.remove('fit-' + (i - 1));
        body.classList.add('fit-' + i);
      }
      if (!steps && !fits(body)) body.classList.add('scroll');
    }

    /* Before printing, every slide (not only the one on screen) is fitted to its page:
       laid out at the printed size for a moment, as the browser does not yet apply the
       print style sheet when it says it will print. */
    function fitForPrint() {
      root.classList.add('printing');
      slides.forEach(function (slide) { fit(slide, 8); });
      root.classList.remove('printing');
    }

    function go(n, quiet) {
      n = Math.max(0, Math.min(total - 1, n));
      if (n !== now) {
        if (now >= 0) slides[now].classList.remove('current');
        now = n;
        var slide = slides[n];
        slide.classList.add('current');
        if (nowEl) nowEl.textContent = String(n + 1);
        setHash();
        var team = slide.dataset.team || '';
        if (team && team !== timer.team) timer = { team: team, running: false, since: 0, spent: 0 };
        if (clocks[0]) clocks[0].hidden = !team;
        fit(slide);
        if (root.classList.contains('overview')) slide.scrollIntoView({ block: 'nearest' });
        announce(t('Slide {label}', { label: slide.getAttribute('aria-label') }));
        if (pv) drawPresenter();
      }
      tick();
      if (!quiet) send();
    }

    /* The address follows the slide (#/3), at most every 150 ms: browsers throttle pages
       that rewrite their history faster, as a held-down arrow key would. */
    function setHash() {
      clearTimeout(hashTimer);
      var wait = 150 - (Date.now() - hashAt);
      if (wait > 0) { hashTimer = setTimeout(setHash, wait); return; }
      hashAt = Date.now();
      history.replaceState(null, '', '#/' + (now + 1));
    }

    function elapsed() { return timer.spent + (timer.running ? Date.now() - timer.since : 0); }

    function clockText(ms) {
      var s = ms > 0 ? Math.ceil(ms / 1000) : Math.floor(-ms / 1000);
      var text = Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
      return ms > 0 ? text : '+' + text;
    }

    function tick() {
      var left = seconds * 1000 - elapsed();
      var over = left <= 0 && timer.team !== '';
      var text = clockText(left);
      clocks.forEach(function (el) {
        if (!el) return;
        el.classList.toggle('overtime', over);
        el.classList.toggle('running', timer.running);
        if (el.textContent === text) return;
        el.textContent = text;
        el.setAttribute('aria-label', t(over ? 'Time is up: {time}' : 'Time left: {time}', { time: text }));
      });
      if (over && warned !== timer.team) {
        warned = timer.team;
        announce(t('Time is up'));
      }
      if (typed && Date.now() - typedAt > 3000) {
        typed = '';
        gotoEl.hidden = true;
      }
      var clock = new Date().toTimeString().slice(0, 5);
      if (pv && pv.clock.textContent !== clock) pv.clock.textContent = clock;
    }

    function toggleTimer() {
      var team = slides[now].dataset.team;
      if (!team) return;
      if (timer.team !== team) timer = { team: team, running: false, since: 0, spent: 0 };
      if (timer.running) {
        timer.spent += Date.now() - timer.since;
        timer.running = false;
      } else {
        timer.since = Date.now();
        timer.running = true;
      }
      if (warned === team && seconds * 1000 > elapsed()) warned = '';
      announce(t(timer.running ? 'Timer running' : 'Timer paused'));
      go(now);
    }

    /* A black screen between talks or while the audience should listen: the key clickers
       send for it (b or .) turns it on and off, in both windows. */
    function blackout(on, quiet) {
      black = on;
      root.classList.toggle('blackout', black);
      announce(t(black ? 'Screen black: press b to show the slides' : 'Slides shown'));
      if (pv) drawPresenter();
      if (!quiet) send();
    }

    /* Keeping the audience and presenter windows in step. */
    function send(type) {
      var message = { deck: key, type: type || 'state', slide: now, timer: timer, black: black };
      if (channel) channel.postMessage(message);
      if (peer && !peer.closed) peer.postMessage(message, '*');
    }

    function receive(message) {
      if (!message || message.deck !== key) return;
      if (message.type === 'hello') { send(); return; }
      if (typeof message.slide !== 'number') return;
      go(message.slide, true);
      if (typeof message.black === 'boolean' && message.black !== black) blackout(message.black, true);
      timer = message.timer;
      tick();
    }

    if (channel) channel.onmessage = function (event) { receive(event.data); };
    window.addEventListener('message', function (event) {
      if (event.source && event.source === peer) receive(event.data);
    });

    function openPresenter() {
      if (presenting) return;
      var url = new URL(location.href);
      url.searchParams.set('presenter', '1');
      url.hash = '#/' + (now + 1);
      var win = window.open(url.href, 'jamdat-presenter');
      if (win) peer = win;
      else announce(t('The browser blocked the presenter window: allow pop-ups for this page'));
    }

    function pane(name, label) {
      var el = document.createElement('div');
      el.className = name;
      if (label) el.setAttribute('aria-label', label);
      return el;
    }

    function buildPresenter() {
      var box = pane('presenter', t('Presenter view'));
      box.setAttribute('role', 'region');
      pv = {
        now: pane('pv-now', t('Current slide')), next: pane('pv-next', t('Next slide')),
        notes: pane('pv-notes', t('Speaker notes')), info: pane('pv-info'),
        count: document.createElement('span'), clock: document.createElement('span'),
        timer: document.createElement('button')
      };
      pv.timer.type = 'button';
      pv.timer.className = 'pv-timer';
      pv.timer.title = t('Start or pause the countdown (t)');
      pv.timer.addEventListener('click', toggleTimer);
      pv.clock.className = 'pv-clock';
      pv.count.className = 'pv-count';
      pv.next.addEventListener('click', function () { go(now + 1); });
      pv.info.append(pv.count, pv.timer, pv.clock);
      box.append(pv.now, pv.next, pv.info, pv.notes);
      document.body.append(box);
      clocks.push(pv.timer);
      root.classList.add('presenting');
      document.title = t('Presenter: {title}', { title: document.title });
    }

    function copy(slide) {
      var clone = slide.cloneNode(true);
      clone.removeAttribute('id');
      clone.classList.add('current');
      clone.setAttribute('aria-hidden', 'true');
      return clone;
    }

    function drawPresenter() {
      pv.now.replaceChildren(copy(slides[now]));
      pv.next.replaceChildren(now + 1 < total ? copy(slides[now + 1]) : t('End of the deck'));
      var notes = slides[now].querySelector('.notes');
      pv.notes.replaceChildren();
      if (notes) [].forEach.call(notes.childNodes, function (n) { pv.notes.append(n.cloneNode(true)); });
      else pv.notes.textContent = t('No notes for this slide.');
      pv.count.textContent = t('Slide {n} of {total}', { n: now + 1, total: total }) + (black ? ' · ' + t('screen black (b)') : '');
      [pv.now, pv.next].forEach(function (p) {
        var s = p.querySelector('.slide');
        if (s) fit(s);
      });
    }

    function toggleOverview(open) {
      root.classList.toggle('overview', open);
      slides.forEach(function (s) {
        if (root.classList.contains('overview')) s.setAttribute('tabindex', '0');
        else s.removeAttribute('tabindex');
      });
      if (root.classList.contains('overview')) slides[now].scrollIntoView({ block: 'center' });
      else fit(slides[now]);
    }

    function toggleHelp(open) {
      help.hidden = open === undefined ? !help.hidden : !open;
      helpButton.setAttribute('aria-expanded', String(!help.hidden));
    }

    function fullscreen() {
      var request = document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen();
      if (request && request.catch) request.catch(function () { announce(t('Full screen is not available here')); });
    }

    function fromHash() {
      var m = /^#\/(\d+)$/.exec(location.hash);
      return m ? Number(m[1]) - 1 : -1;
    }

    function dismiss() {
      if (typed) typed = '';
      else if (!help.hidden) toggleHelp(false);
      else if (root.classList.contains('overview')) toggleOverview(false);
      gotoEl.hidden = true;
    }

    document.addEventListener('keydown', function (event) {
      var k = event.key, target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      if (/^[0-9]$/.test(k)) {
        typed += k;
        typedAt = Date.now();
        gotoEl.textContent = t('Go to slide {n}', { n: typed });
        gotoEl.hidden = false;
      } else if (k === 'Enter' && typed) {
        go(Number(typed) - 1);
        typed = '';
        gotoEl.hidden = true;
      } else if (k === 'Enter' && root.classList.contains('overview')) {
        go(slides.indexOf(target) >= 0 ? slides.indexOf(target) : now);
        toggleOverview(false);
      } else if (k === 'ArrowRight' || k === 'ArrowDown' || k === 'PageDown' || (k === ' ' && !event.shiftKey)) {
        go(now + 1);
      } else if (k === 'ArrowLeft' || k === 'ArrowUp' || k === 'PageUp' || k === ' ') {
        go(now - 1);
      } else if (k === 'Home') go(0);
      else if (k === 'End') go(total - 1);
      else if (k === 'f') fullscreen();
      else if (k === 't') toggleTimer();
      else if (k === 'o') toggleOverview();
      else if (k === 'p') openPresenter();
      else if (k === 'b' || k === 'B' || k === '.') blackout(!black);
      else if (k === '?' || k === 'h') toggleHelp();
      else if (k === 'Escape') dismiss();
      else return;
      event.preventDefault();
    });

    deck.addEventListener('click', function (event) {
      if (!root.classList.contains('overview')) return;
      var slide = event.target.closest('.slide');
      if (!slide) return;
      event.preventDefault();
      go(slides.indexOf(slide));
      toggleOverview(false);
    });

    var x0 = null, y0 = 0;
    deck.addEventListener('touchstart', function (event) {
      if (event.touches.length !== 1) { x0 = null; return; }
      x0 = event.touches[0].clientX;
      y0 = event.touches[0].clientY;
    }, { passive: true });
    deck.addEventListener('touchend', function (event) {
      if (x0 === null) return;
      var dx = event.changedTouches[0].clientX - x0, dy = event.changedTouches[0].clientY - y0;
      x0 = null;
      if (Math.abs(dx) > 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) go(now + (dx < 0 ? 1 : -1));
    }, { passive: true });

    find('.deck-prev').addEventListener('click', function () { go(now - 1); });
    find('.deck-next').addEventListener('click', function () { go(now + 1); });
    clocks[0].addEventListener('click', toggleTimer);
    helpButton.addEventListener('click', function () { toggleHelp(); });
    window.addEventListener('hashchange', function () { if (fromHash() >= 0) go(fromHash()); });
    window.addEventListener('resize', function () { fit(slides[now]); if (pv) drawPresenter(); });
    window.addEventListener('beforeprint', fitForPrint);
    window.addEventListener('afterprint', function () { fit(slides[now]); });
    deck.addEventListener('load', function (event) {
      var slide = event.target.closest && event.target.closest('.slide');
      if (slide === slides[now]) fit(slide);
    }, true);
    var sleep = 0;
    document.addEventListener('mousemove', function () {
      bar.classList.add('awake');
      clearTimeout(sleep);
      sleep = setTimeout(function () { bar.classList.remove('awake'); }, 2000);
    });

    /* Pages open from disk: a folder link would show a file listing, not the page. */
    if (location.protocol === 'file:') {
      [].forEach.call(document.querySelectorAll('a[href]'), function (a) {
        var href = a.getAttribute('href');
        if (!/^([a-z]+:|\/\/|#)/i.test(href)) a.setAttribute('href', href.replace(/\/(?=$|#|\?)/, '/index.html'));
      });
    }

    if (presenting) buildPresenter();
    if (!total) return;
    go(Math.max(0, fromHash()), true);
    if (presenting) send('hello');
    setInterval(tick, 250);
  }
})();
