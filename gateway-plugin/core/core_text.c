/*
 * core_text — the reply table of the SMS command engine (see core_text.h).
 * Every text here must fit one SMS segment with ordinary arguments: 160
 * GSM 03.38 characters in English, 70 UCS-2 characters in Chinese; the
 * unit test checks each entry. The English texts keep to the GSM alphabet
 * so that they cost 7 bits a character.
 */
#include "core_text.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "smstext.h"
#include "utf8.h"

static const struct {
    enum core_text_id id;
    const char *en, *zh;
} texts[] = {
    { T_HELP,
      "SAVE text; LIST [MMS|C] [page]; GET/DEL n; FIND words; SPACE; CONTACT name number; "
      "PASS old new; REG/LOGIN user pass; LANG EN|ZH; HELP C: contacts",
      "保存内容；列表[彩信|联系人]；下载/删除n；查找词；空间；联系人 名 号码；"
      "密码 旧 新；注册/登录 名 密码；语言EN|ZH；帮助C" },
    { T_HELP_FORWARD,
      "SAVE text or forward to %s; LIST [MMS|C] [page]; GET/DEL n; FIND words; SPACE; CONTACT name number; "
      "PASS old new; REG/LOGIN user pass; LANG EN|ZH; HELP C",
      "保存内容或转发到%s；列表[彩信|联系人]；下载/删除n；查找；空间；联系人名 号码；"
      "密码旧 新；注册/登录名 密码；语言EN|ZH" },   /* 70 characters: no room for 帮助C (it answers) */
    /* what C<n> names (issue 10): a stored number; LIST C and GET C<n> show its person */
    { T_HELP_CONTACTS,
      "LIST C: a line per person, C<n> its current number. GET C<n>: the person's card, all numbers, "
      "the current PREF. DEL C<n>: that number only.",
      "列表联系人：每人一行，C<n>为当前号码。下载C<n>：此人名片含全部号码，当前号码为首选。删除C<n>：只删此号码。" },
    { T_UNKNOWN,
      "Unknown command. Send SAVE <text> to keep a message, LIST to see them, HELP for all commands.",
      "无法识别。发送“保存 内容”存短信，“列表”查看，“帮助”看全部命令。" },
    { T_UNBOUND,
      "This phone has no account. Send REG <user> <password> to sign up, "
      "or LOGIN <user> <password> if you have one.",
      "本机未开通。发送“注册 用户名 密码”开通，已有账号请发“登录 用户名 密码”。" },
    { T_BAD_TEXT,
      "Your message could not be read (bad encoding). Please send it again.",
      "无法读取您的短信（编码错误），请重发。" },
    { T_USAGE, "Usage: %s", "用法：%s" },
    { T_REG_OK,
      "Welcome %s! Your account is ready with %s of space. Send SAVE <text> to keep a message.",
      "欢迎 %s！账号已开通，空间 %s。发送“保存 内容”存短信。" },
    { T_REG_TAKEN, "The name %s is taken. Choose another one.", "用户名 %s 已被占用，请换一个。" },
    { T_REG_INVALID,
      "Name: %d-%d letters, digits, _ . - (start with a letter or digit). Password: %d-%d characters.",
      "用户名%d-%d位字母、数字或_.-；密码%d-%d位。" },
    { T_REG_FULL, "Sorry, the service is full. Please try again later.", "服务空间已满，请稍后再试。" },
    { T_LOGIN_OK, "Logged in as %s. This phone now uses your archive.", "已登录 %s，本机已绑定您的空间。" },
    { T_LOGIN_DENIED, "Wrong user name or password.", "用户名或密码错误。" },
    { T_LOGIN_THROTTLED_S, "Too many wrong tries. Wait %d s and try again.", "错误次数过多，请 %d 秒后再试。" },
    { T_LOGIN_THROTTLED_MIN, "Too many wrong tries. Wait %d min and try again.", "错误次数过多，请 %d 分钟后再试。" },
    { T_SAVE_OK, "Saved as %lld. Used %s of %s.", "已保存为 %lld。已用 %s / %s。" },
    { T_SAVE_GREW, "Saved as %lld. Your space grew to %s.", "已保存为 %lld。空间已扩充到 %s。" },
    { T_SAVE_NO_SPACE, "Not saved: no space left. DEL some items first.", "未保存：空间不足，请先删除一些。" },
    { T_SAVE_INVALID, "Not saved: the text is empty or too long.", "未保存：内容为空或太长。" },
    { T_LIST_EMPTY, "Nothing stored yet.", "还没有存储内容。" },
    { T_LIST_NO_PAGE, "There is no page %lld; the last is %lld.", "没有第 %lld 页，最后一页是 %lld。" },
    { T_LIST_MORE, "More: %s", "更多：%s" },
    { T_NOT_FOUND, "Not found: %s", "未找到：%s" },
    { T_TOO_MANY, "Too many at once: at most %d.", "一次太多：最多 %d 条。" },
    { T_BAD_NUMBERS, "Give numbers like 3, 3,5 or 3-7 (M3 for MMS, C3 for contacts).",
      "请写编号，如 3、3,5 或 3-7（彩信 M3，联系人 C3）。" },
    { T_MMS, "MMS M%lld: %s\nSee it at %s", "彩信 M%lld：%s\n查看：%s" },
    { T_MMS_NO_URL, "MMS M%lld: %s", "彩信 M%lld：%s" },
    { T_DEL_OK, "Deleted %lld, freed %s.", "已删除 %lld 条，释放 %s。" },
    { T_DEL_NONE, "Nothing deleted: no such numbers.", "未删除：没有这些编号。" },
    { T_FIND_NONE, "No match.", "没有找到。" },
    { T_FIND_MORE, "More: add words to narrow it.", "更多：请加词缩小范围。" },
    { T_FIND_INVALID, "Search for at most %d words (%d bytes).", "查找最多%d个词、%d个字节。" },
    { T_SPACE, "Used %s of %s. SMS %lld, MMS %lld, contacts %lld.",
      "已用 %s / %s。短信 %lld，彩信 %lld，联系人 %lld。" },
    { T_CONTACT_OK, "Contact saved as C%lld: %s", "联系人已保存为 C%lld：%s" },
    { T_CONTACT_INVALID, "Usage: CONTACT <name> <number>", "用法：联系人 姓名 号码" },
    { T_VCARD_BAD, "This vCard has no name or phone number; nothing saved.", "名片缺少姓名或电话号码，未保存。" },
    { T_CARD_SAVED, "Saved contact C%lld %s", "已保存联系人 C%lld %s" },
    { T_CARD_SAVED_NUMBERS, "Saved contact C%lld-C%lld (current number C%lld) %s",
      "已保存联系人 C%lld-C%lld（当前号码 C%lld）%s" },
    { T_CARDS_SAVED, "Saved %lld contacts: C%lld-C%lld.", "已保存 %lld 个联系人：C%lld-C%lld。" },
    { T_CARD_BROKEN, "This business card could not be read; nothing saved.", "无法读取这张名片，未保存。" },
    { T_ITEM_GONE, "%s was deleted before it could be sent.", "%s 在发送前已被删除。" },
    { T_CONTACT_TEXT, "C%lld %s: %s", "联系人 C%lld %s：%s" },
    { T_PASS_OK, "Password changed.", "密码已修改。" },
    { T_PASS_DENIED, "Wrong old password.", "旧密码错误。" },
    { T_PASS_INVALID, "New password: %d-%d characters.", "新密码需%d-%d位。" },
    { T_LANG_OK, "Replies are now in English, whatever language a command is in.",
      "以后所有回复都用中文，不论命令用哪种语言。" },
    { T_MMS_SAVE_OK, "Saved as M%lld. Used %s of %s.", "彩信已保存为 M%lld。已用 %s / %s。" },
    { T_MMS_SAVE_GREW, "Saved as M%lld. Your space grew to %s.", "彩信已保存为 M%lld。空间已扩充到 %s。" },
    { T_MMS_NO_SPACE, "MMS not saved (%s): no space left. DEL some items first.",
      "彩信（%s）未保存：空间不足，请先删除一些。" },
    { T_MMS_UNDELIVERED, "M%lld could not be delivered to your phone as an MMS. See it on the web page.",
      "彩信 M%lld 未能发送到您的手机，请在网页上查看。" },
};

const char *core_text_format(enum core_text_id id, enum core_lang lang)
{
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].id == id)
            return lang == CORE_ZH ? texts[i].zh : texts[i].en;
    assert(!"core_text: id without a text");
    return "";
}

enum core_lang core_text_lang_of(const char *s, size_t len)
{
    size_t i = 0;
    while (s && i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            break;
        if (cp >= 0x2E80 && cp <= 0x9FFF)
            return CORE_ZH;
        i += n;
    }
    return CORE_EN;
}

bool core_text_fits(const char *s, size_t len, int max_segments)
{
    struct smstext_measure m;
    smstext_measure(s, len, &m);
    return m.segments >= 1 && m.segments <= max_segments;
}

size_t core_text_fit(const char *s, size_t len, int max_segments)
{
    struct smstext_measure m;
    size_t cut;

    if (core_text_fits(s, len, max_segments))
        return len;
    smstext_measure(s, len, &m);
    if (max_segments <= 1)
        cut = smstext_fit(s, len, m.gsm, m.gsm ? SMSTEXT_GSM_SINGLE : SMSTEXT_UCS2_SINGLE);
    else
        cut = smstext_fit(s, len, m.gsm,
                          (size_t)max_segments * (m.gsm ? SMSTEXT_GSM_PART : SMSTEXT_UCS2_PART));
    /* the per-part estimate can be a unit off where an escape or a surrogate
     * pair meets a part boundary: shrink until it really fits */
    while (cut > 0 && !core_text_fits(s, cut, max_segments)) {
        size_t c = cut - 1;
        while (c > 0 && ((unsigned char)s[c] & 0xC0) == 0x80)
            c--;
        cut = c;
    }
    return cut;
}

/* The formats come from the reply table, not from input; core_test checks
 * every entry with its arguments. clang cannot see that, hence the pragma. */
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#endif
static char *vformat(enum core_text_id id, enum core_lang lang, va_list ap, size_t *len)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, core_text_format(id, lang), ap2);
    va_end(ap2);
    char *buf = xmalloc(n < 0 ? 1 : (size_t)n + 1);
    buf[0] = '\0';
    if (n > 0)
        vsnprintf(buf, (size_t)n + 1, core_text_format(id, lang), ap);
    *len = n < 0 ? 0 : (size_t)n;
    return buf;
}
#ifdef __clang__
#pragma clang diagnostic pop
#endif

char *core_text_vreply(enum core_text_id id, enum core_lang lang, va_list ap)
{
    size_t len;
    char *buf = vformat(id, lang, ap, &len);
    buf[core_text_fit(buf, len, 1)] = '\0';
    return buf;
}

char *core_text_full(enum core_text_id id, enum core_lang lang, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, lang);
    char *r = vformat(id, lang, ap, &len);
    va_end(ap);
    return r;
}

char *core_text_reply(enum core_text_id id, enum core_lang lang, ...)
{
    va_list ap;
    va_start(ap, lang);
    char *r = core_text_vreply(id, lang, ap);
    va_end(ap);
    return r;
}

void core_text_bytes(long long bytes, char *buf, size_t cap)
{
    static const char *const units[] = { "KB", "MB", "GB", "TB" };
    double v = (double)bytes;
    int u = -1;

    if (bytes < 1024) {
        snprintf(buf, cap, "%lld B", bytes);
        return;
    }
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    if (v < 10 && (long long)(v * 10) % 10 != 0)
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    else
        snprintf(buf, cap, "%.0f %s", v, units[u]);
}
