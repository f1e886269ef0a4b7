/*
 * server/web/files.h - the dashboard's files, built into jotd: the table is
 * generated at build time by server/web/embed.cmake from the files in
 * server/web/ (see web.cmake).
 */
#ifndef JOTD_WEB_FILES_H
#define JOTD_WEB_FILES_H

#include <stddef.h>

typedef struct jotd_web_file {
    const char *path;         /* URL path: "/" for index.html, else "/NAME" */
    const char *content_type; /* with its charset for text */
    const char *etag;         /* quoted: "\"0123456789abcdef\"" */
    const unsigned char *data;
    size_t len;
} jotd_web_file;

extern const jotd_web_file jotd_web_files[];
extern const size_t jotd_web_nfiles;

#endif
