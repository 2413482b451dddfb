/* <stdlib.h> for lwIP's sources: atoi (netif_find), from sys_arch.c. */
int atoi(const char *s);
