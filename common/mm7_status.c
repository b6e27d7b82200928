/*
 * mm7_status — the MM7 status codes' texts (see mm7_status.h).
 */
#include "mm7_status.h"

#include <stddef.h>

static const struct {
    int code;
    const char *text;
} status_texts[] = {
    { 1000, "Success" },
    { 1100, "Partial success" },
    { 2000, "Client error" },
    { 2001, "Operation restricted" },
    { 2002, "Address Error" },
    { 2003, "Address Not Found" },
    { 2004, "Multimedia content refused" },
    { 2005, "Message ID Not found" },
    { 2006, "LinkedID not found" },
    { 2007, "Message format corrupt" },
    { 2008, "Application ID not found" },
    { 2009, "Reply Application ID not found" },
    { 3000, "Server Error" },
    { 3001, "Not Possible" },
    { 3002, "Message rejected" },
    { 3003, "Multiple addresses not supported" },
    { 3004, "Application Addressing not supported" },
    { 4000, "General service error" },
    { 4001, "Improper identification" },
    { 4002, "Unsupported version" },
    { 4003, "Unsupported operation" },
    { 4004, "Validation error" },
    { 4005, "Service error" },
    { 4006, "Service unavailable" },
    { 4007, "Service denied" },
    { 4008, "Application denied" },
};

const char *mm7_status_text(int code)
{
    for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
        if (status_texts[i].code == code)
            return status_texts[i].text;
    switch (code / 1000) {
    case 1: return "Success";
    case 2: return "Client error";
    case 3: return "Server Error";
    case 4: return "General service error";
    default: return "Unknown status";
    }
}
