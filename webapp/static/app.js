/* Progressive enhancement only: title autocomplete (ARIA combobox), the star widget rating in
   place (the feed's list swapped in afresh), "Show more" appending the next cards,
   "Not interested" (or its undo) in place on every list of movie cards, and "Want to watch" toggled
   in place (or, in the feed and on the watchlist, taking the card out of its list); a card that
   leaves the feed is replaced by the feed's next film, so the feed keeps its length.
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
    dismissible(p);
    status.replaceChildren(p);
  }

  /* A message stays at the top of the window (sticky) until the next one: a "Dismiss" button
     lets it go sooner, where it covers a card on a small screen. */
  function dismissible(p) {
    var close = document.createElement("button");
    close.type = "button"; close.className = "status-close"; close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { p.remove(); });
    p.append(close);
  }

  /* POST as the pages' own script: the CSRF token in its header, JSON errors back (an Error
     with the answer's message and its `status`). `keepalive`: the request outlives the page (a
     star clicked just before leaving it). Onboarding's script uses it too (window.postFetch). */
  function post(url, body, keepalive) {
    return fetch(url, {method: "POST", body: body || new FormData(), credentials: "same-origin", keepalive: !!keepalive,
                       headers: {"X-CSRFToken": csrf, "X-Requested-With": "fetch", "Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) {
          window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
          throw new Error("logged out");
        }
        if (!r.ok) {
          return r.json().catch(function () { return {}; }).then(function (b) {
            var error = new Error(b.error && b.error.message ? b.error.message : "the server answered " + r.status);
            error.status = r.status;
            throw error;
          });
        }
        return r;
      });
  }

  /* ---- title autocomplete: combobox + listbox (WAI-ARIA APG pattern). `pick(movieId)` is what
     choosing a suggestion does (default: open the film's page). The home page's search and
     onboarding's both use it (window.titleCombobox). ---- */
  function setupCombobox(input, options) {
    options = options || {};
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var chosen = options.pick || function (id) { window.location.assign("/movies/" + encodeURIComponent(id)); };
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
    function pick(li) { close(); chosen(li.dataset.id); }
    function render(movies) {
      items = movies.map(function (m, i) {
        var li = document.createElement("li");
        li.id = input.id + "-option-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
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
  }

  /* The home page's "Movies like…": its genre narrows the list of films like the one picked
     (westerns like Toy Story), so a suggestion opens that film's list in the genre. */
  function moviesLike(genre) {
    return function (id) {
      var url = "/movies/" + encodeURIComponent(id);
      if (genre && genre.value) url += "?genre=" + encodeURIComponent(genre.value) + "#similar-heading";
      window.location.assign(url);
    };
  }

  /* ---- the star widget (a radio group, _macros.html rating_select): a click or tap rates at
     once; the arrow keys choose, and the choice is saved when they rest, on Enter, or when focus
     leaves the stars. The form's own submit button is hidden (CSS, under .js) ---- */
  var RESTING_MS = 1200;
  function showValue(fieldset, value) {
    var out = fieldset && fieldset.querySelector(".star-value");
    if (out) out.textContent = value || "";
    var said = fieldset && fieldset.querySelector(".star-said");  // the group's name: "…: 4.5 stars"
    if (said) said.textContent = value ? ": " + value + (value === "1" ? " star" : " stars") : "";
  }
  function saveStars(form) {
    clearTimeout(form._starTimer); form._starTimer = null;
    var button = form.querySelector(".rate-submit");
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }
  function setupStars() {
    var pointer = false;
    document.addEventListener("pointerdown", function (e) {
      pointer = !!(e.target.closest && e.target.closest(".star-row"));
    }, true);
    document.addEventListener("keydown", function (e) {
      pointer = false;
      var input = e.target;
      if (e.key !== "Enter" || !input.classList || !input.classList.contains("star-input")) return;
      var form = input.form;
      if (form && form.classList.contains("js-rate")) { e.preventDefault(); if (input.checked) saveStars(form); }
    });
    document.addEventListener("change", function (e) {
      var input = e.target;
      if (!input.classList || !(input.classList.contains("star-input") || input.classList.contains("star-none-input"))) return;
      showValue(input.closest("[data-stars]"), input.value);
      var form = input.form;
      if (!form || !form.classList.contains("js-rate")) return;  // onboarding: one big form
      clearTimeout(form._starTimer);
      if (pointer) { pointer = false; saveStars(form); }
      else form._starTimer = setTimeout(function () { saveStars(form); }, RESTING_MS);
    });
    document.addEventListener("focusout", function (e) {
      var form = e.target.form;
      if (form && form._starTimer && !(e.relatedTarget && form.contains(e.relatedTarget))) saveStars(form);
    });
  }

  /* Rating or clearing a rating in place, outside the feed: the card stays (on the watchlist it
     leaves, as rating takes a film off it), the widget keeps the value, the status region says so. */
  /* The card's predicted stars, after a rating changed: a card's star control shows the rating
     given, so the prediction steps aside while there is one and comes back when it is cleared (the
     movie page says them in its "My rating" panel only, its .my-rating). */
  function sayGiven(form, value) {
    var scope = form.closest("li.card"), line = scope && scope.querySelector(".scores .predicted");
    if (line) line.hidden = !!value;
  }
  /* Rated means seen: a film's "Want to watch" (its card's toggle, or the movie page's panel)
     steps aside once it is rated in place, the server having taken it off the watchlist (a pressed
     toggle is set back to "not on it"), and comes back when the rating is cleared. */
  function wantable(form, rated) {
    var card = form.closest("li.card");
    var holder = card ? card.querySelector("form.watch")
                      : (form.closest("article.movie") ? document.getElementById("watch-panel") : null);
    if (!holder) return;
    var toggle = holder.matches("form.watch") ? holder : holder.querySelector("form.watch");
    var button = toggle && toggle.querySelector(".watch-toggle");
    if (rated && button && button.getAttribute("aria-pressed") === "true") {
      var action = toggle.action;
      toggle.action = toggle.dataset.undo; toggle.dataset.undo = action;
      button.setAttribute("aria-pressed", "false");
      var said = holder.querySelector(".watch-said");
      if (said) said.textContent = said.dataset.off;
    }
    holder.hidden = rated;
  }
  /* A list whose last card left in place (/watchlist, /hidden) shows the message the server
     renders for it when empty (its element named by the list's data-empty), and the list goes
     back when a card does (an undo). */
  function showIfEmpty(list) {
    var note = list && list.dataset && list.dataset.empty ? document.getElementById(list.dataset.empty) : null;
    if (!note) return;
    var empty = list.children.length === 0;
    note.hidden = !empty; list.hidden = empty;
  }
  /* A rating that could not be saved leaves the stars as they were saved (`data-saved`, set when
     the page is read and after each save), not lit at a value nobody stored. */
  function starsShown(form) {
    var checked = form.querySelector(".star-input:checked");
    return checked ? checked.value : "";
  }
  function showStars(form, value) {
    form.querySelectorAll(".star-input, .star-none-input").forEach(function (i) { i.checked = i.value === value; });
    showValue(form.querySelector("[data-stars]"), value);
  }
  function setupRating() {
    document.querySelectorAll("form.js-rate").forEach(function (form) { form.dataset.saved = starsShown(form); });
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList || !form.classList.contains("js-rate") || form.closest("#feed")) return;
      e.preventDefault();
      var clearing = !!(e.submitter && e.submitter.classList.contains("rate-clear"));
      var title = form.dataset.title, checked = form.querySelector(".star-input:checked");
      var value = checked ? checked.value : "";
      var clear = form.querySelector(".rate-clear"), card = form.closest("li.card");
      var said = form.closest("section") && form.closest("section").querySelector(".my-rating");
      form.classList.add("is-saving");
      post(clearing ? e.submitter.formAction : form.action, new FormData(form))
        .then(function () {
          form.dataset.saved = clearing ? "" : value;
          var when = card && card.querySelector(".rated-on");  // "My ratings": the card stays, to rate again
          if (when) when.textContent = clearing ? "Rating removed: rate it again to put it back." : "Rated just now.";
          if (clearing) {
            showStars(form, "");
            clear.hidden = true;
            form.querySelector(".star-input").focus();
            if (said) said.textContent = "Not rated yet.";
            sayGiven(form, "");
            wantable(form, false);
            announce("Your rating of " + title + " is removed.");
            return;
          }
          clear.hidden = false;
          if (said) said.textContent = "You rated it " + value + " out of 5.";
          sayGiven(form, value);
          wantable(form, true);
          if (card && card.querySelector(".js-leave")) {  // the watchlist: a rated film is off it
            var after = card.nextElementSibling || card.previousElementSibling, list = card.parentNode;
            card.remove(); showIfEmpty(list); focusCard(after);
          }
          announce("You rated " + title + " " + value + " out of 5.");
        })
        .catch(function (err) {
          if (form.dataset.saved !== undefined) showStars(form, form.dataset.saved);
          announce("Could not save the rating: " + err.message);
        })
        .finally(function () { form.classList.remove("is-saving"); });
    });
  }

  /* ---- the feed's list as the server renders it (/feed/list, the page's own fragment): `k`
     cards (at most MAX_K, the server's limit) from `offset` on, parsed, never run ---- */
  var MAX_K = 100;
  function feedFragment(feed, offset, k) {
    var url = new URL(feed.dataset.listUrl, window.location.href);
    url.searchParams.set("offset", String(offset));
    url.searchParams.set("k", String(Math.min(Math.max(k, 1), MAX_K)));
    return fetch(url, {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
      .then(function (r) {
        if (!r.ok) throw new Error("feed " + r.status);
        return r.text();
      })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  /* ---- a card left the feed ("Not interested", "Want to watch"): the feed keeps its length. The
     server's feed, which no longer holds that film, is asked for the cards on the page and a few
     past them, and its best film not on the page is appended: the next one in the feed's order.
     Films that left the page are never taken back in (their post may have raced this fetch).
     Resolves to the card added, or null: nothing more to suggest, the list re-rendered meanwhile
     (a rating), or the card is back (its undo came first). A failed fetch: no card added. ---- */
  var leftFeed = {};  // movie id -> true while its card is out of the feed by the person's doing
  var PAST_THE_PAGE = 10;  // room for films that moved and for other cards leaving at the same time
  function standIn(feed, list, gone) {
    var k = list.children.length + PAST_THE_PAGE, start = Number(list.dataset.offset) || 0;
    return feedFragment(feed, start + Math.max(0, k - MAX_K), k)  // a window ending PAST_THE_PAGE past the page
      .then(function (doc) {
        var fresh = doc.getElementById("feed-list");
        if (!list.isConnected || gone.isConnected || !fresh || fresh.tagName !== "OL") return null;
        var pick = Array.prototype.find.call(fresh.children, function (li) {
          var id = li.dataset.movieId;
          return !leftFeed[id] && !list.querySelector("li[data-movie-id='" + id + "']");
        });
        if (!pick) return null;
        var card = document.adoptNode(pick);
        list.append(card);
        return card;
      });
  }

  /* ---- rate in place on the feed: POST with the CSRF token, then swap in the fresh list (as
     many cards as were shown, from the same place), focus on the card now where the rated one was ---- */
  function setupFeed(feed) {
    function refresh(count) {
      var list = document.getElementById("feed-list");
      return feedFragment(feed, (list && list.dataset.offset) || "0", count)
        .then(function (doc) {
          ["feed-list", "feed-list-more"].forEach(function (id) {
            var fresh = doc.getElementById(id), old = document.getElementById(id);
            if (fresh && old) old.replaceWith(document.adoptNode(fresh));
          });
        });
    }
    feed.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList.contains("js-rate")) return;
      e.preventDefault();
      var title = form.dataset.title, checked = form.querySelector(".star-input:checked");
      if (!checked) return;
      var value = checked.value, card = form.closest("li.card");
      var list = document.getElementById("feed-list");
      var position = card ? Array.prototype.indexOf.call(list.children, card) : 0;
      var count = list.children.length;
      var clear = form.querySelector(".rate-clear"), body = new FormData(form);
      form.classList.add("is-saving"); feed.classList.add("is-updating");
      post(form.action, body)
        .then(function () { return refresh(count); })
        .then(function () {
          announce("You rated " + title + " " + value + " out of 5. Your feed is updated.",
                   clear ? {label: "Undo", run: undo} : null);
          focusAt(position);
        })
        .catch(function (err) { announce("Could not save the rating: " + err.message); form.classList.remove("is-saving"); })
        .finally(function () { feed.classList.remove("is-updating"); });
      /* A feed shows unrated films only, so undoing a rating made here is removing it: the film
         comes back to the feed where the model puts it now (a star tapped by mistake on a phone
         had to be found again in "My ratings"). */
      function undo() {
        feed.classList.add("is-updating");
        post(clear.formAction, body)
          .then(function () { return refresh(count); })
          .then(function () { announce("Rating removed: " + title + ". Your feed is updated."); focusAt(position); })
          .catch(function (err) { announce("Could not undo: " + err.message); })
          .finally(function () { feed.classList.remove("is-updating"); });
      }
    });
    function focusAt(position) {
      var fresh = document.getElementById("feed-list");
      var next = fresh && fresh.tagName === "OL" ? (fresh.children[position] || fresh.lastElementChild) : null;
      if (next) focusCard(next); else document.getElementById("feed-heading").focus();
    }
  }

  /* ---- "Show more": the link's page fetched, its cards appended to the list, its own "Show
     more" put in place of this one, focus on the first new card. A failure follows the link. ---- */
  function setupShowMore() {
    document.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a.show-more") : null;
      var list = link && document.getElementById(link.dataset.list);
      if (!list || list.tagName !== "OL") return;
      e.preventDefault();
      link.setAttribute("aria-disabled", "true");
      fetch(link.href, {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error("more " + r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(link.dataset.list), first = null, added = 0;
          if (fresh && fresh.tagName === "OL") {
            Array.prototype.slice.call(fresh.children).forEach(function (li) {
              var node = document.adoptNode(li);
              if (list.querySelector("li[data-movie-id='" + node.dataset.movieId + "']")) return;  // already shown
              list.append(node); added += 1; first = first || node;
            });
          }
          var more = doc.getElementById(link.dataset.list + "-more"), old = document.getElementById(link.dataset.list + "-more");
          if (old) { if (more) old.replaceWith(document.adoptNode(more)); else old.replaceChildren(); }
          if (first) focusCard(first);
          announce(added ? added + " more films." : "No more films.");
        })
        .catch(function () { window.location.assign(link.href); });
    });
  }

  /* ---- "Not interested" (or its undo, on the hidden list), and "Want to watch" where the card
     leaves its list (js-leave), in place: the card leaves its list, focus moves to the next card,
     and the status message offers the opposite action. In the feed, the feed's next film takes
     the card's place at the end (standIn), and the undo takes that one back out. ---- */
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
      var feed = list.id === "feed-list" ? document.getElementById("feed") : null, added = null;
      button.disabled = true;
      post(form.action, new FormData(form))
        .then(function () {
          card.remove();
          showIfEmpty(list);
          focusCard(after || list.lastElementChild);
          button.disabled = false;
          announce(form.dataset.done + ": " + title + ".", {label: "Undo", run: function () { undo(); }});
          if (!feed) return;
          leftFeed[card.dataset.movieId] = true;
          standIn(feed, list, card)
            .then(function (node) { added = node; })
            .catch(function () { /* the card is gone all the same; "Show more" or a reload brings the rest */ });
        })
        .catch(function (err) { button.disabled = false; announce("Could not do that: " + err.message); });
      function undo() {
        post(form.dataset.undo)
          .then(function () {
            if (!list.isConnected) { window.location.reload(); return; }  // the feed was re-rendered meanwhile
            delete leftFeed[card.dataset.movieId];
            if (added && added.parentNode === list) added.remove();  // the stand-in makes way again
            list.insertBefore(card, after && after.parentNode === list ? after : null);
            showIfEmpty(list);
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

  /* ---- one submit per page for the forms that leave it (sign up, log in, import, delete…):
     a second click while the first is on its way sent the form again, and the answer to the
     second ("That username is taken", "no such import to confirm") replaced that of the first,
     which had worked. Registered last: the forms handled in place have prevented theirs. Back
     to the page from the browser's cache, the form may be sent again. ---- */
  function setupSubmitOnce() {
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (e.defaultPrevented || !form.method || form.method.toLowerCase() !== "post") return;
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-sent]").forEach(function (form) {
        delete form.dataset.sent; form.removeAttribute("aria-busy");
      });
    });
  }

  document.documentElement.classList.add("js");
  window.titleCombobox = setupCombobox;
  window.postFetch = post;

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#status .flash").forEach(dismissible);  // the server's messages too
    setupStars();
    setupRating();
    setupShowMore();
    setupHiding();
    setupWatching();
    setupSubmitOnce();
    var input = document.getElementById("title-q");
    if (input) setupCombobox(input, {pick: moviesLike(document.getElementById("title-genre"))});
    var feed = document.getElementById("feed");
    if (feed) setupFeed(feed);
  });
})();
