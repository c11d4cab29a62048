/* Windows test programs for scripts/windows-test (tests/windows/e2e.py), one executable with
 * modes, built with mingw. Each listens on loopback only and prints what it does, flushed.
 *
 *   helper hold [PORT]          listen on 127.0.0.1:PORT (0 or none: any port), print
 *                               "holding PORT pid PID", then wait forever
 *   helper hold6 PORT           the same on [::1]:PORT
 *   helper serve [--port N] [--say node|python] [--ctrl CODE] [--deny N]
 *                               a server on 127.0.0.1: its port from --port, else $PORT, else
 *                               --at (which portfix does not read), else 3000; prints "listening on PORT pid PID" and answers every
 *                               connection with "ok PORT". When the port is in use it prints the
 *                               exact line Node (default) or Python's http.server prints on
 *                               Windows and exits 1. With --ctrl CODE a Ctrl-C or Ctrl-Break
 *                               makes it print "got ctrl-c"/"got ctrl-break" and exit CODE.
 *                               With --deny N, port N is refused as Windows refuses a port in
 *                               an excluded range (WSAEACCES): Node's line, exit 1
 *   helper retry [--port N | --at N]
 *                               like serve, but when the port is in use it prints gunicorn's
 *                               line and tries again every 300 ms, forever
 *   helper tree [ARGS...]       starts `helper serve ARGS...` as its own child and waits for it
 *   helper ctrl PID c|break     sends a console Ctrl-C / Ctrl-Break to the console of PID
 *   helper args ARGS...         prints each argument on its own line as [ARG], exits 0
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ctrl_code = -1;

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static BOOL WINAPI on_ctrl(DWORD event)
{
    if (event == CTRL_C_EVENT)
        out("got ctrl-c\n");
    else if (event == CTRL_BREAK_EVENT)
        out("got ctrl-break\n");
    else
        return FALSE;
    ExitProcess((UINT)ctrl_code);
    return TRUE;
}

/* --port N, else $PORT, else --at N (a flag portfix does not read), else 3000. */
static int port_arg(int argc, char **argv)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--port") == 0)
            return atoi(argv[i + 1]);
    const char *env = getenv("PORT");
    if (env && *env)
        return atoi(env);
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--at") == 0)
            return atoi(argv[i + 1]);
    return 3000;
}

static const char *str_arg(int argc, char **argv, const char *flag, const char *dflt)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return argv[i + 1];
    return dflt;
}

/* A listening socket on 127.0.0.1:port (or [::1]), or INVALID_SOCKET with the WSA error in *err. */
static SOCKET listen_on(int port, int v6, int *err)
{
    SOCKET s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) {
        *err = WSAGetLastError();
        return s;
    }
    BOOL on = TRUE;
    /* What Node (libuv) and Python do on Windows: exclusive use of the address. */
    setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on);
    int rc;
    if (v6) {
        struct sockaddr_in6 a = {0};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((u_short)port);
        a.sin6_addr = in6addr_loopback;
        rc = bind(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((u_short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = bind(s, (struct sockaddr *)&a, sizeof a);
    }
    if (rc != 0 || listen(s, 16) != 0) {
        *err = WSAGetLastError();
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static int bound_port(SOCKET s)
{
    struct sockaddr_storage a;
    int len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    if (a.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

static void answer_forever(SOCKET s, int port)
{
    char reply[32];
    int n = snprintf(reply, sizeof reply, "ok %d\n", port);
    for (;;) {
        SOCKET c = accept(s, NULL, NULL);
        if (c == INVALID_SOCKET) {
            Sleep(100);
            continue;
        }
        send(c, reply, n, 0);
        shutdown(c, SD_SEND);
        closesocket(c);
    }
}

static int hold(int argc, char **argv, int v6)
{
    int port = argc > 2 ? atoi(argv[2]) : 0, err = 0;
    SOCKET s = listen_on(port, v6, &err);
    if (s == INVALID_SOCKET) {
        out("hold: cannot listen on port %d: WSA error %d\n", port, err);
        return 1;
    }
    out("holding %d pid %lu\n", bound_port(s), GetCurrentProcessId());
    answer_forever(s, bound_port(s));
    return 0;
}

static void bind_failed(const char *say, int port, int err)
{
    if (err == WSAEACCES) {
        /* Node on Windows, a port in an excluded range. */
        fprintf(stderr, "Error: listen EACCES: permission denied 127.0.0.1:%d\n", port);
    } else if (strcmp(say, "python") == 0) {
        fprintf(stderr, "Traceback (most recent call last):\n");
        fprintf(stderr, "  File \"<frozen runpy>\", line 198, in _run_module_as_main\n");
        fprintf(stderr, "OSError: [WinError 10048] Only one usage of each socket address "
                        "(protocol/network address/port) is normally permitted\n");
    } else {
        fprintf(stderr, "node:events:497\n      throw er; // Unhandled 'error' event\n      ^\n\n");
        fprintf(stderr, "Error: listen EADDRINUSE: address already in use 127.0.0.1:%d\n", port);
        fprintf(stderr, "    at Server.setupListenHandle [as _listen2] (node:net:1872:16)\n");
    }
    fflush(stderr);
}

static int serve(int argc, char **argv)
{
    int port = port_arg(argc, argv), err = 0;
    const char *say = str_arg(argc, argv, "--say", "node");
    const char *code = str_arg(argc, argv, "--ctrl", NULL);
    if (code) {
        ctrl_code = atoi(code);
        SetConsoleCtrlHandler(on_ctrl, TRUE);
    }
    const char *deny = str_arg(argc, argv, "--deny", NULL);
    if (deny && atoi(deny) == port) {
        bind_failed(say, port, WSAEACCES);
        return 1;
    }
    SOCKET s = listen_on(port, 0, &err);
    if (s == INVALID_SOCKET) {
        bind_failed(say, port, err);
        return 1;
    }
    out("listening on %d pid %lu\n", bound_port(s), GetCurrentProcessId());
    answer_forever(s, bound_port(s));
    return 0;
}

static int retry(int argc, char **argv)
{
    int port = port_arg(argc, argv), err = 0;
    SOCKET s;
    while ((s = listen_on(port, 0, &err)) == INVALID_SOCKET) {
        fprintf(stderr, "[2024-01-02 10:11:12 +0000] [%lu] [ERROR] Connection in use: ('127.0.0.1', %d)\n",
                GetCurrentProcessId(), port);
        fprintf(stderr, "[2024-01-02 10:11:12 +0000] [%lu] [ERROR] Retrying in 1 second.\n",
                GetCurrentProcessId());
        fflush(stderr);
        Sleep(300);
    }
    out("listening on %d pid %lu\n", bound_port(s), GetCurrentProcessId());
    answer_forever(s, bound_port(s));
    return 0;
}

static int tree(int argc, char **argv)
{
    char line[4096];
    char self[MAX_PATH];
    GetModuleFileNameA(NULL, self, sizeof self);
    int n = snprintf(line, sizeof line, "\"%s\" serve", self);
    for (int i = 2; i < argc && n < (int)sizeof line - 64; i++)
        n += snprintf(line + n, sizeof line - n, " %s", argv[i]);
    STARTUPINFOA si = {sizeof si};
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        out("tree: CreateProcess failed: %lu\n", GetLastError());
        return 1;
    }
    out("tree: started pid %lu\n", pi.dwProcessId);
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    return (int)code;
}

static int ctrl(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    DWORD pid = (DWORD)strtoul(argv[2], NULL, 10);
    DWORD event = strcmp(argv[3], "break") == 0 ? CTRL_BREAK_EVENT : CTRL_C_EVENT;
    FreeConsole();
    if (!AttachConsole(pid)) {
        fprintf(stderr, "ctrl: AttachConsole(%lu) failed: %lu\n", pid, GetLastError());
        return 1;
    }
    SetConsoleCtrlHandler(NULL, TRUE);
    if (!GenerateConsoleCtrlEvent(event, 0)) {
        fprintf(stderr, "ctrl: GenerateConsoleCtrlEvent failed: %lu\n", GetLastError());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    WSADATA wsa;
    WSAStartup(MAKEWORD(2, 2), &wsa);
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "hold") == 0)
        return hold(argc, argv, 0);
    if (strcmp(mode, "hold6") == 0)
        return hold(argc, argv, 1);
    if (strcmp(mode, "serve") == 0)
        return serve(argc, argv);
    if (strcmp(mode, "retry") == 0)
        return retry(argc, argv);
    if (strcmp(mode, "tree") == 0)
        return tree(argc, argv);
    if (strcmp(mode, "ctrl") == 0)
        return ctrl(argc, argv);
    if (strcmp(mode, "args") == 0) {
        for (int i = 2; i < argc; i++)
            out("[%s]\n", argv[i]);
        return 0;
    }
    fprintf(stderr, "helper: unknown mode '%s' (see helper.c)\n", mode);
    return 2;
}
