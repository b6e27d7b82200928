/*
 * static — serves the page's files from the static directory: a fixed map
 * of extensions to content types, no directory listings, no dot segments,
 * nothing outside the directory. It is not a general file server.
 */
#ifndef SMSVAULT_WEB_STATIC_H
#define SMSVAULT_WEB_STATIC_H

#include "http.h"

void static_serve(const char *dir, const char *path, struct http_resp *r);

#endif
