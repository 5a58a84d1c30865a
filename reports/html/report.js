// escalator HTML report: an optional time cursor. Hovering over any
// timeline of a scenario draws a line at that moment across all its
// timelines (node states, availability), labelled with the time. The page
// reads the same without it.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function fmt(s) {
    if (s < 60) {
      return (Math.round(s * 10) / 10) + "s";
    }
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = Math.floor(s % 60);
    return (h ? h + "h" : "") + (m || h ? m + "m" : "") + sec + "s";
  }

  function cursorOf(svg) {
    var g = svg.querySelector(":scope > g.cursor");
    if (g) {
      return g;
    }
    var h = svg.viewBox.baseVal.height;
    g = document.createElementNS(NS, "g");
    g.setAttribute("class", "cursor");
    g.setAttribute("aria-hidden", "true");
    var line = document.createElementNS(NS, "line");
    line.setAttribute("y1", "18");
    line.setAttribute("y2", String(h - 2));
    var box = document.createElementNS(NS, "rect");
    box.setAttribute("y", "1");
    box.setAttribute("height", "15");
    box.setAttribute("width", "64");
    box.setAttribute("rx", "2");
    var text = document.createElementNS(NS, "text");
    text.setAttribute("y", "12");
    g.appendChild(line);
    g.appendChild(box);
    g.appendChild(text);
    svg.appendChild(g);
    return g;
  }

  function show(svg, x, label) {
    var g = cursorOf(svg);
    g.style.display = "";
    g.firstChild.setAttribute("x1", String(x));
    g.firstChild.setAttribute("x2", String(x));
    g.childNodes[1].setAttribute("x", String(x - 32));
    g.lastChild.setAttribute("x", String(x));
    g.lastChild.textContent = label;
  }

  function hide(svg) {
    var g = svg.querySelector(":scope > g.cursor");
    if (g) {
      g.style.display = "none";
    }
  }

  function siblings(svg) {
    var section = svg.closest("section");
    return section ? section.querySelectorAll("svg.timeline") : [svg];
  }

  document.querySelectorAll("svg.timeline").forEach(function (svg) {
    var x0 = parseFloat(svg.dataset.x0), x1 = parseFloat(svg.dataset.x1), end = parseFloat(svg.dataset.end);
    if (!(x1 > x0) || !(end > 0)) {
      return;
    }
    svg.addEventListener("pointermove", function (ev) {
      var r = svg.getBoundingClientRect();
      if (!r.width) {
        return;
      }
      var x = (ev.clientX - r.left) * svg.viewBox.baseVal.width / r.width;
      var all = siblings(svg);
      if (x < x0 || x > x1) {
        all.forEach(hide);
        return;
      }
      var label = fmt((x - x0) / (x1 - x0) * end);
      all.forEach(function (other) { show(other, x, label); });
    });
    svg.addEventListener("pointerleave", function () {
      siblings(svg).forEach(hide);
    });
  });
})();
