/*
 * server/web/web.h - the dashboard: sign up, log in, sessions, API tokens,
 * log out, in plain HTML, CSS and JavaScript served by jotd at "/".
 *
 * The pages are built into the binary (server/web/web.cmake). They talk to
 * jotd's own endpoints, same-origin; the access token lives in a JavaScript
 * variable only, the refresh token in the HttpOnly cookie. Every page is sent
 * with a Content-Security-Policy that allows no inline script or style and no
 * other origin.
 */
#ifndef JOTD_WEB_H
#define JOTD_WEB_H

#include "http/http.h"

/* Register GET (and HEAD) routes for the dashboard's files. */
void jotd_web_routes(jotd_http *h);

#endif
