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
    items.sort(function (a, b) { return (b.total || 0) - (a.total || 0); });  // busiest labels win
    layer.clearLayers();
    var bounds = [];
    items.forEach(function (item) {
      var point = [item.lat, item.lon];
      bounds.push(point);
      var marker;
      if (item.kind === "area") {
        var cls = item.help > 0 ? "map-area map-help" : (item.overdue > 0 ? "map-area map-overdue" : "map-area");
        if (item.polygon) {
          // The area's own outline: the map is readable with no tile server behind it.
          var outline = L.geoJSON(item.polygon, { style: function () { return { className: cls + " map-outline" }; } });
          outline.addTo(layer);
          var box = outline.getBounds();
          if (box.isValid()) { bounds.push(box.getSouthWest(), box.getNorthEast()); }
        }
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
    declutter();  // once the view is set: labels are placed only then
  }

  /* Labels never pile on each other: a permanent label that overlaps one already shown is
     hidden (its area keeps its hover label), the busiest areas first. */
  function declutter() {
    var shown = [];
    var labels = Array.prototype.slice.call(element.querySelectorAll(".map-label"));
    labels.forEach(function (node) { node.classList.remove("map-label-hidden"); });
    labels.forEach(function (node) {
      var r = node.getBoundingClientRect();
      var clash = shown.some(function (s) {
        return r.left < s.right && r.right > s.left && r.top < s.bottom && r.bottom > s.top;
      });
      if (clash) { node.classList.add("map-label-hidden"); } else { shown.push(r); }
    });
  }

  draw();
  map.on("zoomend moveend", declutter);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "board-live") { draw(); }
  });
})();
