// The browsable page of Baton's OpenAPI document (GET /api/docs), drawn by Swagger UI from /api/openapi.json.
// Swagger UI has a dark theme (html.dark-mode): it follows the system's colour scheme, as the console does.
const dark = window.matchMedia('(prefers-color-scheme: dark)');
const scheme = () => document.documentElement.classList.toggle('dark-mode', dark.matches);
scheme();
dark.addEventListener('change', scheme);
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The document's security scheme is a bearer token: "Authorize" takes one of BATON_TOKENS for "Try it out".
  persistAuthorization: false,
  // Swagger UI's server picker has no accessible name (axe: select-name, critical): give it one.
  onComplete: () => {
    const servers = document.getElementById('servers');
    if (servers) servers.setAttribute('aria-label', 'Server');
  },
});
