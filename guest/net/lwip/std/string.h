/* <string.h> for lwIP's sources: the kernel's lib/string.c, and strncmp
 * (lwip_strnstr) from sys_arch.c. */
#include "../../../../lib/string.h"
int strncmp(const char *a, const char *b, size_t n);
