package sys

// ObjName converts name to the NUL-terminated char[BPF_OBJ_NAME_LEN] of
// map_name / prog_name, truncating it to 15 bytes. The kernel accepts only
// ASCII letters, digits, '_' and '.'; other bytes are replaced by '_' so a
// Go-side name never makes a create fail.
func ObjName(name string) [BPF_OBJ_NAME_LEN]byte {
	var out [BPF_OBJ_NAME_LEN]byte
	for i := 0; i < len(name) && i < BPF_OBJ_NAME_LEN-1; i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.':
		default:
			c = '_'
		}
		out[i] = c
	}
	return out
}
