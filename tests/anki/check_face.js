// Measures a rendered card face the way a learner meets it: does anything stick out past the
// screen (other than inside a table's own scroll box), and is every piece of text at least
// 4.5:1 against what is behind it? The result goes into document.title for the test to read.
(function () {
  function rgba(value) {
    const parts = value.match(/[\d.]+/g).map(Number);
    return parts.length === 3 ? [...parts, 1] : parts;
  }
  function luminance([r, g, b]) {
    const channel = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  }
  function background(element) {
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1];
  }
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  let scrollingTables = 0;
  for (const element of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE"].includes(element.tagName)) continue;
    const box = element.getBoundingClientRect();
    const insideTable = element.tagName !== "TABLE" && element.closest("table");
    if (!insideTable && box.width > 0 && box.right > width + 0.5) {
      problems.push(`${element.tagName} reaches ${Math.round(box.right)} px of ${width}`);
    }
    if (element.tagName === "TABLE" && element.scrollWidth > element.clientWidth) {
      scrollingTables += 1;
    }
    const hasText = [...element.childNodes].some(
      (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()
    );
    if (hasText && box.width > 0) {
      const fore = luminance(rgba(getComputedStyle(element).color));
      const back = luminance(background(element));
      const ratio = (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
      if (ratio < 4.5) {
        problems.push(`${element.tagName} "${element.textContent.trim().slice(0, 30)}" at ${ratio.toFixed(2)}:1`);
      }
    }
  }
  // The card is shown in a frame of the phone's width; the test reads the page's title.
  (window.parent || window).document.title = JSON.stringify({ width, problems, scrollingTables });
})();
