// wattplan dashboard: refresh the page by fetching it again and swapping <main>.
// The server formats everything; this only keeps the page current. Relative URLs only.
(function () {
  "use strict";
  var body = document.body;
  var every = Math.max(1, parseFloat(body.getAttribute("data-refresh-s")) || 5) * 1000;
  var state = { refreshes: 0, failures: 0, last: null };
  window.wattplan = window.wattplan || {};
  window.wattplan.refresh = state;

  function status(text) {
    var el = document.getElementById("refresh-status");
    if (el) { el.textContent = text; }
  }

  function refresh() {
    fetch(window.location.href, { cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) { main.innerHTML = fresh.innerHTML; }
        state.refreshes += 1;
        state.last = new Date();
        document.dispatchEvent(new CustomEvent("wattplan:refreshed"));
      })
      .catch(function (err) {
        state.failures += 1;
        status("cannot reach wattplan (" + err.message + "); retrying");
      })
      .then(function () { window.setTimeout(refresh, every); });
  }

  window.setTimeout(refresh, every);
})();
