# The dashboard's pages (index.html, app.js, app.css, favicon.svg), built
# into jotd: embed.cmake turns the files into a C source at build time, and
# the build reruns it whenever one of them changes. Included at the end of
# server/CMakeLists.txt, so CMAKE_CURRENT_SOURCE_DIR is server/.
set(JOTD_WEB_DIR ${CMAKE_CURRENT_SOURCE_DIR}/web)
# The order is the routes' order; the first file is served at "/".
set(JOTD_WEB_FILES index.html app.js app.css favicon.svg)
set(JOTD_WEB_C ${CMAKE_CURRENT_BINARY_DIR}/web_files.c)

set(jotd_web_inputs)
foreach(f ${JOTD_WEB_FILES})
  list(APPEND jotd_web_inputs ${JOTD_WEB_DIR}/${f})
endforeach()
# A list cannot cross the command line as one -D value: join with commas.
string(REPLACE ";" "," jotd_web_list "${JOTD_WEB_FILES}")

add_custom_command(OUTPUT ${JOTD_WEB_C}
  COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${JOTD_WEB_DIR} -DFILES=${jotd_web_list} -DOUT=${JOTD_WEB_C}
          -P ${JOTD_WEB_DIR}/embed.cmake
  DEPENDS ${jotd_web_inputs} ${JOTD_WEB_DIR}/embed.cmake
  COMMENT "Embedding the dashboard's pages"
  VERBATIM)

target_sources(jotd PRIVATE ${JOTD_WEB_DIR}/web.c ${JOTD_WEB_C})
target_compile_definitions(jotd PRIVATE JOTD_WEB=1)
