// The browsable page of Baton's OpenAPI document (GET /api/docs), drawn by Swagger UI from /api/openapi.json.
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The document's security scheme is a bearer token: "Authorize" takes one of BATON_TOKENS for "Try it out".
  persistAuthorization: false,
});
