// The API's Swagger page from the platform's own copy of Swagger UI: no outside host, so
// the docs work on an intranet without internet, under the pages' script-src 'self'.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";

const config = JSON.parse(document.getElementById("api-docs-config").textContent);
SwaggerUIBundle({
  url: config.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
