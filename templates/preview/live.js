// The preview's own script: reload when the watcher has a new build (keeping the scroll
// position), and switch the cards between Anki's day and night mode.
(function () {
  "use strict";
  var build = document.documentElement.getAttribute("data-build");
  var frame = document.getElementById("pv-sheet");
  var key = "aipexport-scroll:" + location.pathname;
  // The place is put back here; the browser's own restoring would undo it after the load.
  history.scrollRestoration = "manual";
  function scroller() {
    return frame ? frame.contentWindow : window;
  }
  // Where the reader is: on the cards page, the first card whose top is in sight (else the
  // one in sight) and how far down the window its top is, since the cards above it may have
  // changed; elsewhere, the scroll offset.
  function place() {
    var faces = frame ? [] : document.querySelectorAll(".pv-face");
    var seen = null;
    for (var i = 0; i < faces.length; i++) {
      var box = faces[i].getBoundingClientRect();
      if (box.bottom > 0 && seen === null) {
        seen = { id: faces[i].id, top: box.top };
      }
      if (box.top >= 0) {
        return JSON.stringify({ id: faces[i].id, top: box.top });
      }
    }
    try {
      return JSON.stringify(seen || { y: scroller().scrollY });
    } catch (error) {
      return "null"; // the frame shows a page of another site (a link was followed)
    }
  }
  function restore() {
    var saved = JSON.parse(sessionStorage.getItem(key) || "null");
    if (saved === null || location.hash) {
      return;
    }
    var face = saved.id && document.getElementById(saved.id);
    if (face) {
      // Cards come into layout as they come near the window and may then be taller or
      // shorter than the room kept for them: set the card back for a few frames.
      var frames = 0;
      var settle = function () {
        var off = face.getBoundingClientRect().top - saved.top;
        if (Math.abs(off) >= 1) {
          window.scrollBy(0, off);
        }
        if (++frames < 10) {
          requestAnimationFrame(settle);
        }
      };
      settle();
    } else if (saved.y !== undefined) {
      scroller().scrollTo(0, saved.y);
    }
  }
  if (frame) {
    frame.addEventListener("load", restore);
  } else {
    restore();
  }

  var events = new EventSource("/events");
  events.onmessage = function (event) {
    if (event.data === build) {
      return;
    }
    build = event.data;
    sessionStorage.setItem(key, place());
    if (frame) {
      // Under the same bar, only the page in the frame and the bar's text change: loading
      // just those is quicker than loading the whole window again.
      frame.src = "/sheet?build=" + build;
      fetch("/bar").then(function (answer) {
        return answer.text();
      }).then(function (bar) {
        document.getElementById("pv-chrome").innerHTML = bar;
      });
    } else {
      events.close();
      location.reload();
    }
  };

  // Anki marks night mode with .nightMode (desktop, AnkiMobile) and .night_mode (AnkiDroid).
  var night = document.getElementById("pv-night");
  if (night) {
    var apply = function (on) {
      document.body.classList.toggle("nightMode", on);
      document.body.classList.toggle("night_mode", on);
      night.setAttribute("aria-pressed", String(on));
      night.textContent = on ? "Day" : "Night";
    };
    apply(localStorage.getItem("aipexport-night") === "1");
    night.addEventListener("click", function () {
      var on = !document.body.classList.contains("nightMode");
      localStorage.setItem("aipexport-night", on ? "1" : "0");
      apply(on);
    });
  }
})();
