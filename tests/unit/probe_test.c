/*
 * probe_test — CUnit suite for the watchdog check of vaultweb and vaultmms (common/probe.c)
 * against real loopback listeners: one that answers, one that accepts and
 * closes (a server at its connection limit), one whose threads hang (the
 * kernel completes the handshake, nobody reads), and a port nobody holds.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

/* A listener on 127.0.0.1; its port in *port. */
static int listener(unsigned *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CU_ASSERT_FATAL(listen(fd, 8) == 0);
    CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

struct server { int fd; bool answer; };

/* Accept one connection; answer a status line, or close at once. */
static void *serve_one(void *arg)
{
    struct server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c >= 0) {
        if (s->answer) {
            char buf[256];
            ssize_t n = read(c, buf, sizeof buf);
            (void)n;
            static const char reply[] = "HTTP/1.0 200 OK\r\n\r\n";
            n = write(c, reply, sizeof reply - 1);
        }
        close(c);
    }
    return NULL;
}

/* The probe against a server that accepts one connection, on addr. */
static bool probe_one(bool answer, const char *addr)
{
    struct server s = { 0, answer };
    unsigned port;
    pthread_t t;
    char why[200] = "";
    s.fd = listener(&port);
    pthread_create(&t, NULL, serve_one, &s);
    bool ok = probe_http(addr, port, 5000, why, sizeof why);
    pthread_join(t, NULL);
    close(s.fd);
    return ok;
}

static void test_answered(void)
{
    CU_ASSERT_TRUE(probe_one(true, "127.0.0.1"));
}

static void test_closed_is_an_answer(void)
{
    CU_ASSERT_TRUE(probe_one(false, "0.0.0.0"));   /* 0.0.0.0 is asked on loopback */
}

static void test_hung_server(void)
{
    unsigned port;
    char why[200] = "";
    int fd = listener(&port);   /* never accepted: queued by the kernel only */
    CU_ASSERT_FALSE(probe_http("127.0.0.1", port, 300, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "did not answer a request within 300 ms"));
    close(fd);
}

static void test_nobody_listens(void)
{
    unsigned port;
    char why[200] = "";
    close(listener(&port));     /* a port that was free a moment ago */
    CU_ASSERT_FALSE(probe_http("127.0.0.1", port, 1000, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "connect to 127.0.0.1:"));
    CU_ASSERT_FALSE(probe_http("not-an-address", port, 1000, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad listen address"));
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("probe", NULL, NULL);
    CU_add_test(s, "a server that answers is healthy", test_answered);
    CU_add_test(s, "accept-and-close is an answer", test_closed_is_an_answer);
    CU_add_test(s, "a hung server is not", test_hung_server);
    CU_add_test(s, "nobody listening is not", test_nobody_listens);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
