// Rafty's Swagger UI set-up (served at /docs/swagger-initializer.js in place of the webjar's): it shows the
// OpenAPI document of the node that serves this page, so "Try it out" talks to that node.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
