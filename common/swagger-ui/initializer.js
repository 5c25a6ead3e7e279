/* global window, SwaggerUIBundle */
// Swagger UI over this service's own document. A file, not an inline
// script: the page's Content-Security-Policy allows scripts from 'self' only.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // No call to validator.swagger.io: nothing leaves this service (lint validates the document).
    validatorUrl: null,
  });
};
