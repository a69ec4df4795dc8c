/* Onboarding, progressive enhancement only (the form works without it): title suggestions as
   you type (the home page's combobox from app.js, over GET /api/movies?q=), where picking one
   submits the form's search with that film, so the answers already given are saved with it; the
   feed button shown while a film has 4 stars or more; and every star saved the moment it
   is clicked, as the feed's cards do (POST /ratings/<id>, the same route; "Not seen" after a saved
   star removes it with POST /ratings/<id>/delete), so leaving the page by any link keeps it.
   Requests go through app.js's POST (window.postFetch). Each card says what was saved (its own
   status line) and a failure is said there too: the answer stays in the form, whose submit saves it. One request per film at a time, the latest choice
   sent last, and the form's submit waits for those in flight, so an older star never lands after
   a newer one. Data is written with textContent. */
(function () {
  "use strict";
  var LIKED = 4;
  var RESTING_MS = 1200;  // the arrow keys: saved when they rest (as app.js does on the feed)

  /* Picking a suggestion submits the form's search with that film (app.js's combobox). */
  function setupSuggestions(form, input) {
    var pickField = document.getElementById("onb-pick");
    var find = document.getElementById("onb-find");
    window.titleCombobox(input, {pick: function (id) {
      pickField.value = id;
      input.value = "";
      if (form.requestSubmit) form.requestSubmit(find); else find.click();
    }});
  }

  /* The feed button: shown while a film is liked, on this page (a star of LIKED or more chosen)
     or elsewhere (the server's count of liked films not on it); a like taken back on the page
     hides it again when it was the only one. */
  function setupFeedButton(form) {
    var button = document.getElementById("onb-feed");
    if (!button) return;
    var elsewhere = Number(button.dataset.likedElsewhere) || 0;
    form.addEventListener("change", function (e) {
      var input = e.target;
      if (!input.closest || !input.closest("[data-stars]")) return;
      var here = Array.prototype.some.call(form.querySelectorAll(".star-input:checked"), function (i) {
        return parseFloat(i.value) >= LIKED;
      });
      button.hidden = !(here || elsewhere > 0);
    });
  }

  function stars(value) { return value + (value === "1" ? " star" : " stars"); }

  /* ---- saving each star on its click ---- */
  function setupSaving(form) {
    var busy = 0, waiting = null;  // requests in flight; the submit button pressed meanwhile
    var progress = document.getElementById("onb-progress");
    var rated = progress ? Number(progress.dataset.rated) || 0 : 0;
    var pointer = false;

    document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    function card(input) { return input.closest ? input.closest("li.card[data-rate-url]") : null; }
    function state(li) {
      if (!li._onb) li._onb = {saved: li.dataset.saved || "", want: li.dataset.saved || "", sending: false, timer: null};
      return li._onb;
    }
    function say(li, text, failed) {
      var line = li.querySelector(".onb-said");
      if (!line) return;
      line.classList.toggle("error", !!failed);
      line.textContent = text;
    }
    function showProgress() {
      if (!progress) return;
      var enough = Number(progress.dataset.enough) || 5;
      progress.textContent = rated < enough
        ? "Rate at least " + enough + " for a better feed" + (rated ? " (you have rated " + rated + ")" : "") + "."
        : "You have rated " + rated + " films: your feed has plenty to go on.";
    }
    function choice(li) {
      var checked = li.querySelector(".star-input:checked");
      return checked ? checked.value : "";
    }
    /* The widget back to the stored rating (a "Not seen" whose removal failed: the page says what is kept). */
    function restore(li, value) {
      li.querySelectorAll("[data-stars] input[type=radio]").forEach(function (i) { i.checked = i.value === value; });
      var out = li.querySelector(".star-value");
      if (out) out.textContent = value;
      var said = li.querySelector(".star-said");
      if (said) said.textContent = value ? ": " + stars(value) : "";
    }

    function request(li, value) {  // app.js's POST (window.postFetch), outliving the page
      var clearing = value === "", body = new FormData();
      if (!clearing) body.append("rating", value);
      return window.postFetch(clearing ? li.dataset.unrateUrl : li.dataset.rateUrl, body, true)
        .catch(function (err) {
          if (!(clearing && err.status === 404)) throw err;  // nothing stored: as good as removed
        });
    }

    function send(li) {
      var s = state(li), value = s.want, title = li.dataset.title;
      s.sending = true; busy += 1;
      li.classList.add("is-saving");
      say(li, value ? "Saving " + stars(value) + "…" : "Removing your rating…");
      request(li, value)
        .then(function () {
          if (!s.saved && value) rated += 1; else if (s.saved && !value) rated -= 1;
          s.saved = value; s.failed = false;
        })
        .catch(function (err) { s.failed = err.message || "failed"; })
        .then(function () {
          s.sending = false; busy -= 1;
          li.classList.remove("is-saving");
          if (s.want !== value) { send(li); return; }  // changed while this one was on its way: the latest wins
          if (s.failed && value) {
            say(li, "Not saved yet (" + s.failed + "): your " + stars(value) +
                    " stay in the form and are saved with “Next films”.", true);
          } else if (s.failed) {
            restore(li, s.saved); s.want = s.saved;
            say(li, "Could not remove your rating (" + s.failed + "): " + title + " is still rated " +
                    stars(s.saved) + ".", true);
          } else {
            say(li, value ? "Saved: you rated " + title + " " + value + " out of 5."
                          : "Not seen: your rating of " + title + " is removed.");
            showProgress();
          }
          if (!busy && waiting) resume();
        });
    }

    function save(li) {
      var s = state(li);
      clearTimeout(s.timer); s.timer = null;
      s.want = choice(li);
      if (s.sending) return;  // sent once the request in flight is back
      if (s.want === s.saved) {
        if (s.failed) { s.failed = false; say(li, ""); }
        return;
      }
      send(li);
    }

    form.addEventListener("pointerdown", function (e) {
      pointer = !!(e.target.closest && e.target.closest("[data-stars]"));
    }, true);
    form.addEventListener("keydown", function (e) {
      pointer = false;
      var li = card(e.target);  // Enter on a star saves it, as on the feed, and does not send the form's search
      if (e.key === "Enter" && li && e.target.closest("[data-stars]")) { e.preventDefault(); save(li); }
    }, true);
    form.addEventListener("change", function (e) {
      var input = e.target, li = card(input);
      if (!li || !input.closest("[data-stars]")) return;
      var s = state(li);
      clearTimeout(s.timer);
      if (pointer) { pointer = false; save(li); }
      else s.timer = setTimeout(function () { save(li); }, RESTING_MS);
    });
    form.addEventListener("focusout", function (e) {
      var li = card(e.target);
      if (li && li._onb && li._onb.timer && !(e.relatedTarget && li.contains(e.relatedTarget))) save(li);
    });

    /* The form's submit (any of its buttons, or a picked suggestion) saves every answer as well;
       it goes once the saves on their way are back, so none of them lands after it. */
    function resume() {
      var button = waiting; waiting = null;
      if (form.requestSubmit) form.requestSubmit(button); else button.click();
    }
    form.addEventListener("submit", function (e) {
      form.querySelectorAll("li.card[data-rate-url]").forEach(function (li) {
        if (li._onb && li._onb.timer) save(li);
      });
      if (!busy) return;
      e.preventDefault();
      waiting = e.submitter || document.getElementById("onb-find");
      var status = document.getElementById("status");
      if (status) {
        var p = document.createElement("p");
        p.className = "flash"; p.textContent = "Saving your ratings…";
        status.replaceChildren(p);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("onboarding");
    var input = document.getElementById("onb-q");
    if (!form) return;
    if (input && window.titleCombobox) setupSuggestions(form, input);
    setupFeedButton(form);
    if (window.postFetch) setupSaving(form);
  });
})();
