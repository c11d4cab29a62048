/* Test scaffolding for Wine only: Rust's std on Windows imports ProcessPrng from
 * bcryptprimitives.dll, which Windows 10 and later have and Wine 8.0 does not (a program then
 * exits at once with status 53). scripts/windows-test builds this DLL beside the programs it
 * runs under Wine; it is never shipped. It fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
