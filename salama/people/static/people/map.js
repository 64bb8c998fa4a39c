/* Areas and facilities on a Leaflet map. Data comes from the JSON block #map-features and the
   data- attributes of #map (the CSP allows no inline script). With no tile URL the map still
   shows every point and outline over a blank background. */
(function () {
  "use strict";
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
    var colours = { low: "#1e7b45", medium: "#8a6d00", high: "#b35c00", extreme: "#b3261e",
                    full: "#1e7b45", partial: "#b35c00", none: "#b3261e", unknown: "#5b6670" };
    function label(props) {
      var span = document.createElement("span");
      span.className = "map-label";
      span.textContent = (arabic && props.name_ar) ? props.name_ar : props.name;
      return span;
    }
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return { color: colours[feature.properties.risk] || "#0b5cad", weight: 2, fillOpacity: 0.15 };
      },
      pointToLayer: function (feature, latlng) {
        var props = feature.properties;
        var facility = props.kind === "facility";
        return L.circleMarker(latlng, {
          radius: facility ? 6 : 9,
          color: colours[facility ? props.functionality : props.risk] || "#0b5cad",
          weight: 2,
          fillOpacity: facility ? 0.9 : 0.3
        });
      },
      onEachFeature: function (feature, item) {
        item.bindTooltip(label(feature.properties));
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
