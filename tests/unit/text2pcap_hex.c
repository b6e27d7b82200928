/*
 * text2pcap_hex — hex dumps for text2pcap (see text2pcap_hex.h).
 */
#include "text2pcap_hex.h"

#include <string.h>

#include "mms_pdu.h"

FILE *t2p_open(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

void t2p_packet(FILE *f, const void *prefix, size_t plen, const unsigned char *data, size_t len)
{
    const unsigned char *pre = prefix;
    size_t total = plen + len;
    for (size_t i = 0; i < total; i++) {
        unsigned char c = i < plen ? pre[i] : data[i - plen];
        if (i % 16 == 0)
            fprintf(f, "%s%06zx ", i ? "\n" : "", i);
        fprintf(f, " %02x", c);
    }
    fprintf(f, "\n");
}

int t2p_close(FILE *f)
{
    return fclose(f) == 0 ? 0 : -1;
}

int t2p_dump(const char *dir, const char *name, const char *prefix, const unsigned char *data, size_t len)
{
    FILE *f = t2p_open(dir, name);
    if (f == NULL)
        return -1;
    t2p_packet(f, prefix, prefix ? strlen(prefix) : 0, data, len);
    return t2p_close(f);
}

int t2p_http(const char *dir, const char *name, const char *start_line, const unsigned char *pdu, size_t len)
{
    char head[512];
    snprintf(head, sizeof head,
             "%s\r\nHost: 127.0.0.1\r\nContent-Type: " MMS_PDU_CONTENT_TYPE "\r\nContent-Length: %zu\r\n\r\n",
             start_line, len);
    return t2p_dump(dir, name, head, pdu, len);
}

int t2p_hexfile(const char *dir, const char *name, const unsigned char *data, size_t len)
{
    FILE *f = t2p_open(dir, name);
    if (f == NULL)
        return -1;
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", data[i]);
    fprintf(f, "\n");
    return t2p_close(f);
}
