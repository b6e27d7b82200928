# Kannel's libgw for boxes (vaultbox, echobox): KANNEL_CFLAGS and KANNEL_LIBS
# from kannel-dev's gw-config. libgwlib carries its own uuid functions (the
# libuuid API): never add -luuid next to KANNEL_LIBS.
find_program(GW_CONFIG gw-config REQUIRED)
find_program(BEARERBOX_BIN bearerbox PATHS /usr/sbin /usr/local/sbin REQUIRED)
execute_process(COMMAND ${GW_CONFIG} --cflags OUTPUT_VARIABLE KANNEL_CFLAGS OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${GW_CONFIG} --libs OUTPUT_VARIABLE KANNEL_LIBS OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(KANNEL_CFLAGS UNIX_COMMAND "${KANNEL_CFLAGS}")
separate_arguments(KANNEL_LIBS UNIX_COMMAND "${KANNEL_LIBS}")
# keep our own optimisation, debug and warning flags
list(FILTER KANNEL_CFLAGS EXCLUDE REGEX "^-O|^-g$|^-W|^-D_XOPEN_SOURCE|^-D_BSD_SOURCE")
# Kannel's headers do not pass our warning set.
set(KANNEL_WARNING_OPTIONS -Wno-shadow -Wno-format-nonliteral -Wno-unused-function)
