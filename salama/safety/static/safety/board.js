/* The board's map: areas and facilities with their counts. Data comes from the JSON block in
   the live part of the board (#board-map-data) and is redrawn whenever HTMX swaps it in. Works
   with no tile server: areas and facilities are drawn over a blank background. */
(function () {
  "use strict";
  var element = document.getElementById("board-map");
  if (!element || typeof L === "undefined") { return; }
  var map = L.map(element, { attributionControl: !!element.dataset.attribution });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { attribution: element.dataset.attribution || "" }).addTo(map);
  }
  var layer = L.layerGroup().addTo(map);
  var fitted = false;
  var d = element.dataset;

  function label(item) {
    var name = d.lang === "ar" ? item.name_ar : item.name;
    var text = document.createElement("div");
    var title = document.createElement("b");
    title.textContent = name;
    text.appendChild(title);
    var parts = [item.total + " " + d.labelTotal];
    if (item.kind === "area") {
      parts.push(item.heard + " " + d.labelHeard, item.overdue + " " + d.labelOverdue,
        item.help + " " + d.labelHelp);
    }
    var line = document.createElement("div");
    line.textContent = parts.join(" · ");
    text.appendChild(line);
    return text;
  }

  function draw() {
    var source = document.getElementById("board-map-data");
    if (!source) { return; }
    var items = JSON.parse(source.textContent);
    layer.clearLayers();
    var bounds = [];
    items.forEach(function (item) {
      var point = [item.lat, item.lon];
      bounds.push(point);
      var marker;
      if (item.kind === "area") {
        var cls = item.help > 0 ? "map-area map-help" : (item.overdue > 0 ? "map-area map-overdue" : "map-area");
        marker = L.circleMarker(point, { radius: 8 + Math.min(item.total, 30) / 2, className: cls });
        marker.bindTooltip(label(item), { permanent: true, direction: "top", className: "map-label" });
      } else {
        marker = L.circleMarker(point, { radius: 5, className: "map-facility" });
        marker.bindTooltip(label(item));
      }
      marker.addTo(layer);
    });
    if (!fitted) {
      if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); }
      else { map.setView([36.2, 37.16], 12); }
      fitted = true;
    }
  }

  draw();
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "board-live") { draw(); }
  });
})();
