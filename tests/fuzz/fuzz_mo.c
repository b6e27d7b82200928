/*
 * fuzz_mo — libFuzzer harness for core_mo_decode: the fuzzer's bytes are a
 * coding octet, a UDH length octet, the UDH and the user data, each in an
 * exact-size heap block so AddressSanitizer sees any over-read. Aborts when
 * decoded UCS-2 is not UTF-8 (apart from U+0000, which core refuses) or text
 * is produced for binary or undecodable input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core_mo.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int coding = data[0] % 4 - 1;   /* -1 (undefined) .. 2 */
    size_t ul = data[1] < size - 2 ? data[1] : size - 2;
    unsigned char *udh = ul ? malloc(ul) : NULL;
    size_t dl = size - 2 - ul;
    char *text = malloc(dl ? dl : 1);
    if (ul)
        memcpy(udh, data + 2, ul);
    memcpy(text, data + 2 + ul, dl);
    struct core_mo mo = { 0 };
    char *owned = NULL;
    core_mo_decode(coding, udh, ul, text, dl, &mo, &owned);
    if (mo.flags & CORE_MO_BAD_TEXT) {
        if (mo.len != 0 || owned != NULL)
            abort();
    } else if (coding == CORE_CODING_UCS2) {
        for (size_t i = 0; i < mo.len; i++)   /* NUL is U+0000: valid, refused later */
            if (mo.text[i] == 0)
                goto done;
        if (!utf8_valid(mo.text, mo.len) || mo.text[mo.len] != '\0')
            abort();
    }
done:
    free(owned);
    free(udh);
    free(text);
    return 0;
}
