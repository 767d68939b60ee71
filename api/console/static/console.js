// omniroute console: the few live parts, in plain JavaScript (no build step, no CDN).
// An element with data-refresh="URL" is replaced every data-every ms (default 2000) with
// the HTML fragment at URL, until the fragment carries data-final.
(function () {
  "use strict";
  function poll(element) {
    var url = element.getAttribute("data-refresh");
    var every = parseInt(element.getAttribute("data-every") || "2000", 10);
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          element.innerHTML = html;
          if (!element.querySelector("[data-final]")) { setTimeout(tick, every); }
        })
        .catch(function () { setTimeout(tick, every * 2); });
    }
    if (!element.querySelector("[data-final]")) { setTimeout(tick, every); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(poll);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
