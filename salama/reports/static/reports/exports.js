/* Exports with a progress bar: a click on an export link fetches it, shows how much has arrived
   while the server streams it (the row count is not known in advance, so the bar is
   indeterminate and the text counts kilobytes), then hands the file to the browser. Without
   script the links download as plain links. */
(function () {
  "use strict";
  function start() {
    var bar = document.getElementById("export-progress");
    var text = document.getElementById("export-progress-text");
    if (!bar || !window.fetch || !window.ReadableStream) { return; }
    var template = text.dataset.template || "{kb} kB";
    var doneText = text.dataset.done || "";
    document.querySelectorAll("a[data-export]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        bar.hidden = false;
        bar.removeAttribute("value");
        text.textContent = template.replace("{kb}", "0");
        fetch(link.href, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          var reader = response.body.getReader();
          var parts = [];
          var received = 0;
          function pump() {
            return reader.read().then(function (step) {
              if (step.done) { return; }
              parts.push(step.value);
              received += step.value.length;
              text.textContent = template.replace("{kb}", String(Math.round(received / 1024)));
              return pump();
            });
          }
          return pump().then(function () {
            var blob = new Blob(parts, { type: response.headers.get("Content-Type") || "" });
            var anchor = document.createElement("a");
            anchor.href = URL.createObjectURL(blob);
            anchor.download = link.dataset.export;
            document.body.appendChild(anchor);
            anchor.click();
            anchor.remove();
            bar.value = 1;
            text.textContent = doneText;
            text.dataset.state = "done";
          });
        }).catch(function () {
          bar.hidden = true;
          window.location.href = link.href;
        });
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
