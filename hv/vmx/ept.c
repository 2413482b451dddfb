/* The EPT entry format for hv/gpt.c (pure code: root mode and host unit tests).
 * Read = bit 0, write = bit 1 (GPT_WRITE, as in the x86 format), execute = bit 2;
 * leaves carry their memory type in bits 5:3 (6 write-back, 0 uncached), large
 * leaves bit 7.  Without "ignore PAT" the guest's PAT still applies under WB. */
#include "../gpt.h"

#define EPT_R (1ull << 0)
#define EPT_X (1ull << 2)
#define EPT_WB (6ull << 3)

const struct gpt_fmt gpt_fmt_ept = {
	.present = EPT_R | GPT_WRITE | EPT_X,
	.table = EPT_R | GPT_WRITE | EPT_X,
	.leaf = EPT_R | EPT_X,
	.wb = EPT_WB,
	.uc = 0,
};
