// The field page's call-for-help line: while it waits to be seen, ask every 5 seconds; an
// empty 204 means unchanged. Without JavaScript the page says to reload instead.
(function () {
  "use strict";
  var PERIOD = 5000;
  function poll() {
    var line = document.getElementById("call-status");
    if (!line || !line.dataset.poll) {
      return;
    }
    fetch(line.dataset.poll, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.status === 200 ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("call-status");
          if (fresh) {
            line.replaceWith(document.importNode(fresh, true));
          } else {
            line.remove();
          }
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(poll, PERIOD);
      });
  }
  window.setTimeout(poll, PERIOD);
})();
