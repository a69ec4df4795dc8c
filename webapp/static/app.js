/* Progressive enhancement only: title autocomplete (ARIA combobox), rating in place on the feed,
   "Not interested" (or its undo) in place on every list of movie cards, and "Want to watch" toggled
   in place (or, in the feed and on the watchlist, taking the card out of its list).
   Data is always written with textContent; server HTML fragments are parsed, never assigned to innerHTML. */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  /* A message in the status region, optionally with one button (the undo of what just happened). */
  function announce(text, action) {
    var status = document.getElementById("status");
    if (!status) return;
    var p = document.createElement("p");
    p.className = "flash";
    p.textContent = text;
    if (action) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "secondary status-action";
      button.textContent = action.label;
      button.addEventListener("click", function () { button.disabled = true; action.run(); });
      p.append(button);
    }
    status.replaceChildren(p);
  }

  /* POST as the pages' own script: the CSRF token in its header, JSON errors back. */
  function post(url, body) {
    return fetch(url, {method: "POST", body: body || new FormData(), credentials: "same-origin",
                       headers: {"X-CSRFToken": csrf, "X-Requested-With": "fetch", "Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) {
          window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
          throw new Error("logged out");
        }
        if (!r.ok) return r.json().then(function (b) { throw new Error(b.error ? b.error.message : "failed"); });
        return r;
      });
  }

  /* ---- title autocomplete: combobox + listbox (WAI-ARIA APG pattern) ---- */
  function setupCombobox(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var genre = document.getElementById("title-genre");
    var items = [], active = -1, timer = null, seq = 0;

    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function highlight(index) {
      active = index;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); items[index].scrollIntoView({block: "nearest"}); }
      else input.removeAttribute("aria-activedescendant");
    }
    function pick(li) { window.location.assign("/movies/" + encodeURIComponent(li.dataset.id)); }
    function render(movies) {
      items = movies.map(function (m, i) {
        var li = document.createElement("li");
        li.id = "title-option-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
        li.dataset.id = m.id;
        var name = document.createElement("span"); name.textContent = m.display_title || m.title;
        var meta = document.createElement("span"); meta.className = "option-meta";
        meta.textContent = [m.year, (m.genres || []).slice(0, 2).join(", ")].filter(Boolean).join(" · ");
        li.append(name, meta);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(li); });
        return li;
      });
      list.replaceChildren.apply(list, items);
      if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(-1); }
      else close();
    }
    function lookup() {
      var q = input.value.trim(), mine = ++seq;
      if (!q) { render([]); return; }
      var url = "/api/movies?limit=8&q=" + encodeURIComponent(q);
      if (genre && genre.value) url += "&genre=" + encodeURIComponent(genre.value);
      fetch(url, {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (body) { if (mine === seq) render(body.results || []); })
        .catch(function () { /* the Find button still works without suggestions */ });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 150); });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden && items.length;
      if (e.key === "ArrowDown") { e.preventDefault(); if (!open) { lookup(); return; } highlight((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { if (open) { e.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); } }
      else if (e.key === "Enter") { if (open && active >= 0) { e.preventDefault(); pick(items[active]); } }
      else if (e.key === "Escape") { if (open) { e.preventDefault(); close(); } else input.value = ""; }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    if (genre) genre.addEventListener("change", function () { if (input.value.trim()) lookup(); });
  }

  /* ---- rate in place on the feed: POST with the CSRF token, then swap in the fresh list ---- */
  function setupFeed(feed) {
    function refresh() {
      return fetch(feed.dataset.listUrl, {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
        .then(function (r) {
          if (!r.ok) throw new Error("feed " + r.status);
          return r.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("feed-list");
          var old = document.getElementById("feed-list");
          if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        });
    }
    feed.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList.contains("js-rate")) return;
      e.preventDefault();
      var title = form.dataset.title, value = form.elements.rating.value;
      var button = form.querySelector("button");
      button.disabled = true; feed.classList.add("is-updating");
      post(form.action, new FormData(form))
        .then(refresh)
        .then(function () {
          announce("You rated " + title + " " + value + " out of 5. Your feed is updated.");
          document.getElementById("feed-heading").focus();
        })
        .catch(function (err) { announce("Could not save the rating: " + err.message); button.disabled = false; })
        .finally(function () { feed.classList.remove("is-updating"); });
    });
  }

  /* ---- "Not interested" (or its undo, on the hidden list), and "Want to watch" where the card
     leaves its list (js-leave), in place: the card leaves its list, focus moves to the next card,
     and the status message offers the opposite action ---- */
  function focusCard(card) {
    var link = card && card.querySelector("a");
    if (link) link.focus(); else document.getElementById("main").focus();
  }
  function setupHiding() {
    document.addEventListener("submit", function (e) {
      var form = e.target, card = form.closest ? form.closest("li.card") : null;
      var leaves = form.classList.contains("js-hide") || form.classList.contains("js-leave");
      if (!leaves || !card || !card.parentNode) return;
      e.preventDefault();
      var list = card.parentNode, after = card.nextElementSibling, title = form.dataset.title;
      var button = form.querySelector("button");
      button.disabled = true;
      post(form.action, new FormData(form))
        .then(function () {
          card.remove();
          focusCard(after || list.lastElementChild);
          button.disabled = false;
          announce(form.dataset.done + ": " + title + ".", {label: "Undo", run: function () { undo(); }});
        })
        .catch(function (err) { button.disabled = false; announce("Could not do that: " + err.message); });
      function undo() {
        post(form.dataset.undo)
          .then(function () {
            if (!list.isConnected) { window.location.reload(); return; }  // the feed was re-rendered meanwhile
            list.insertBefore(card, after && after.parentNode === list ? after : null);
            focusCard(card);
            announce(form.dataset.undone + ": " + title + ".");
          })
          .catch(function (err) { announce("Could not undo: " + err.message); });
      }
    });
  }

  /* ---- "Want to watch" toggled in place: the form swaps its action with its undo, the button
     its pressed state; the status message says what happened and offers to undo it ---- */
  function setupWatching() {
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList || !form.classList.contains("js-watch")) return;
      e.preventDefault();
      var button = form.querySelector("button"), title = form.dataset.title;
      function toggle() {
        button.disabled = true;
        return post(form.action, new FormData(form))
          .then(function () {
            var pressed = button.getAttribute("aria-pressed") !== "true";
            var action = form.action;
            form.action = form.dataset.undo; form.dataset.undo = action;
            button.setAttribute("aria-pressed", pressed ? "true" : "false");
            button.disabled = false;
            announce((pressed ? "On your watchlist" : "Off your watchlist") + ": " + title + ".",
                     {label: "Undo", run: function () { toggle(); }});
          })
          .catch(function (err) { button.disabled = false; announce("Could not do that: " + err.message); });
      }
      toggle();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupHiding();
    setupWatching();
    var input = document.getElementById("title-q");
    if (input) setupCombobox(input);
    var feed = document.getElementById("feed");
    if (feed) setupFeed(feed);
  });
})();
