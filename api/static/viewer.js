// Starts Swagger UI on the schema viewer page (a file, so the page needs no inline script).
"use strict";

window.addEventListener("DOMContentLoaded", function () {
  const node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.spec,
    domNode: node,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
