// Pictures lie over generated placeholders (class "ph"). One that fails to load (its host
// gone, or browsing offline) is hidden so the placeholder shows instead of a broken-image
// box; one that loads hides the placeholder's initials behind a transparent picture.
(function () {
  "use strict";
  function settle(img) {
    if (!img.parentNode || !img.parentNode.classList.contains("ph")) return;
    if (img.naturalWidth === 0) img.hidden = true;
    else img.parentNode.classList.add("loaded");
  }
  ["error", "load"].forEach(function (kind) {
    document.addEventListener(kind, function (e) {
      if (e.target.tagName === "IMG") settle(e.target);
    }, true);
  });
  Array.prototype.forEach.call(document.querySelectorAll(".ph > img"), function (img) {
    if (img.complete) settle(img);
  });
})();
