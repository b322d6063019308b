#include "textflag.h"

// func framePC() uintptr
// Called from callerPC, which is called from a builder; both have frame pointers. framePC sets up
// no frame, so BP is callerPC's frame pointer; 0(BP) is the builder's saved frame pointer and
// 8(builder's BP) the builder's return address: the pc in the user's code.
TEXT ·framePC(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ 0(BP), AX
	MOVQ 8(AX), AX
	MOVQ AX, ret+0(FP)
	RET
