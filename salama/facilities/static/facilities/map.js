/* The facilities map: one circle per facility, coloured by its current functionality; a click
   opens the facility's page. Data from the JSON block #map-features and the data- attributes of
   #map (the CSP allows no inline script). With no tile URL the points show over a blank
   background. */
(function () {
  "use strict";
  var colours = { full: "#1e7b45", partial: "#b35c00", none: "#b3261e", unknown: "#5b6670" };
  function start() {
    var element = document.getElementById("map");
    var source = document.getElementById("map-features");
    if (!element || !source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var arabic = element.dataset.lang === "ar";
    var map = L.map(element, { zoomSnap: 1 });
    element.leafletMap = map;
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, {
        maxZoom: 18,
        attribution: element.dataset.attribution || ""
      }).addTo(map);
    }
    function colour(feature) {
      return colours[feature.properties.functionality] || colours.unknown;
    }
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return { color: colour(feature), fillColor: colour(feature), weight: 2, fillOpacity: 0.85 };
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 8 });
      },
      onEachFeature: function (feature, item) {
        var span = document.createElement("span");
        span.className = "map-label";
        span.textContent = (arabic && feature.properties.name_ar) ? feature.properties.name_ar : feature.properties.name;
        item.bindTooltip(span);
        if (feature.properties.url) {
          item.on("click", function () { window.location.href = feature.properties.url; });
        }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([36.2, 37.16], 12);
    }
    element.dataset.ready = "1";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
