// Mitarbeiter-Konsole: refresh the parts marked data-refresh every few seconds (no inline script, CSP).
// Loaded with "defer", so the page is parsed when this runs. The server renders and escapes everything; we only swap in nodes of the same page, fetched again.
(function () {
  "use strict";
  var SECONDS = 5;
  document.documentElement.classList.add("js");
  var parts = document.querySelectorAll("[data-refresh][id]");
  if (!parts.length || !window.fetch || !window.DOMParser) { return; }
  var toggle = document.getElementById("auto-refresh");
  var stopped = false;

  function busy() {
    // Never replace what someone is reading or typing in.
    var active = document.activeElement;
    return active && active !== document.body && Array.prototype.some.call(parts, function (p) { return p.contains(active); });
  }

  function refresh() {
    if (stopped || document.hidden || (toggle && !toggle.checked) || busy()) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { stopped = true; return null; } // logged out or gone: leave the page as it is
        return response.text();
      })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(parts, function (old) {
          var next = fresh.getElementById(old.id);
          if (next && next.innerHTML !== old.innerHTML) {
            old.replaceChildren.apply(old, Array.prototype.map.call(next.childNodes, function (n) { return document.importNode(n, true); }));
          }
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  window.setInterval(refresh, SECONDS * 1000);
  document.addEventListener("jenabot:refresh", refresh); // inbox.js: a new or overdue ticket was announced
})();
