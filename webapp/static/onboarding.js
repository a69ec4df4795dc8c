/* Onboarding, progressive enhancement only (the form works without it): title suggestions as
   you type (the home page's combobox from app.js, over GET /api/movies?q=), where picking one
   submits the form's search with that film, so the answers already given are saved with it; and
   the feed button shown as soon as a film gets 4 stars or more. Data is written with textContent. */
(function () {
  "use strict";
  var LIKED = 4;

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
    if (input && window.titleCombobox) setupSuggestions(form, input);
    setupFeedButton(form);
  });
})();
