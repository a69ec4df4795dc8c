/* Onboarding, progressive enhancement only (the form works without it): title suggestions as
   you type (ARIA combobox over GET /api/movies?q=, as on the home page), where picking one
   submits the form's search with that film, so the answers already given are saved with it; and
   the feed button shown as soon as a film gets 4 stars or more. Data is written with textContent. */
(function () {
  "use strict";
  var LIKED = 4;

  function setupSuggestions(form, input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var pickField = document.getElementById("onb-pick");
    var find = document.getElementById("onb-find");
    var items = [], active = -1, timer = null, seq = 0;

    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function highlight(index) {
      active = index;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
      else input.removeAttribute("aria-activedescendant");
    }
    function pick(li) {
      pickField.value = li.dataset.id;
      input.value = "";
      close();
      if (form.requestSubmit) form.requestSubmit(find); else find.click();
    }
    function render(movies) {
      items = movies.map(function (m, i) {
        var li = document.createElement("li");
        li.id = "onb-option-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
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
      fetch("/api/movies?limit=8&q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
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
      else if (e.key === "Escape") { if (open) { e.preventDefault(); close(); } }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function setupFeedButton(form) {
    var button = document.getElementById("onb-feed");
    if (!button) return;
    form.addEventListener("change", function (e) {
      var input = e.target;
      if (input.classList && input.classList.contains("star-input") && parseFloat(input.value) >= LIKED) {
        button.hidden = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("onboarding");
    var input = document.getElementById("onb-q");
    if (!form) return;
    if (input) setupSuggestions(form, input);
    setupFeedButton(form);
  });
})();
