package bpf

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// KconfigVar is an extern variable of an object's .kconfig section
// (`extern int LINUX_KERNEL_VERSION __kconfig;`). NewCollection fills it in
// from the running kernel in the value of the map ".kconfig" before creating
// it: LINUX_KERNEL_VERSION is KERNEL_VERSION(major, minor, patch) of uname's
// release, CONFIG_* come from /proc/config.gz or /boot/config-<release>
// ('y' is 1, 'm' is 2, 'n' and absent are 0; numbers as integers of the
// variable's size; strings as bytes). A non-weak CONFIG_* variable that the
// kernel configuration lacks is an error.
type KconfigVar struct {
	Name   string
	Offset uint32 // in the .kconfig map's value
	Size   uint32
	Weak   bool
}

// fillKconfig returns a copy of spec's .kconfig map spec with the values of
// the extern variables vars.
func fillKconfig(ms *MapSpec, vars []KconfigVar) (*MapSpec, error) {
	if ms == nil || len(ms.Contents) != 1 {
		return nil, errors.New(".kconfig: no single-entry .kconfig map in the spec")
	}
	ms = ms.Copy()
	val := ms.Contents[0].Value
	var config map[string]string
	for _, v := range vars {
		if uint64(v.Offset)+uint64(v.Size) > uint64(len(val)) {
			return nil, fmt.Errorf(".kconfig: %s: bytes %d..%d outside the %d-byte value", v.Name, v.Offset, v.Offset+v.Size, len(val))
		}
		dst := val[v.Offset : v.Offset+v.Size]
		switch {
		case v.Name == "LINUX_KERNEL_VERSION":
			kv, err := kernelVersionCode()
			if err != nil {
				return nil, fmt.Errorf(".kconfig: %s: %w", v.Name, err)
			}
			if err := putUint(dst, uint64(kv)); err != nil {
				return nil, fmt.Errorf(".kconfig: %s: %w", v.Name, err)
			}
		case strings.HasPrefix(v.Name, "CONFIG_"):
			if config == nil {
				var err error
				if config, err = readKernelConfig(); err != nil && !v.Weak {
					return nil, fmt.Errorf(".kconfig: %s: %w", v.Name, err)
				}
			}
			s, ok := config[v.Name]
			if !ok {
				if v.Weak {
					continue
				}
				return nil, fmt.Errorf(".kconfig: %s: not in the kernel configuration (declare it __weak to default to 0)", v.Name)
			}
			if err := putKconfig(dst, s); err != nil {
				return nil, fmt.Errorf(".kconfig: %s=%s: %w", v.Name, s, err)
			}
		case v.Weak:
		default:
			return nil, fmt.Errorf(".kconfig: %s: unknown extern (LINUX_KERNEL_VERSION and CONFIG_* are supported)", v.Name)
		}
	}
	return ms, nil
}

func putUint(dst []byte, v uint64) error {
	switch len(dst) {
	case 1:
		dst[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(dst, uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(dst, uint32(v))
	case 8:
		binary.NativeEndian.PutUint64(dst, v)
	default:
		return fmt.Errorf("%d-byte variable is not an integer", len(dst))
	}
	return nil
}

// putKconfig stores a configuration value: y/m/n, a number or a string.
func putKconfig(dst []byte, s string) error {
	switch s {
	case "y":
		return putUint(dst, 1)
	case "m":
		return putUint(dst, 2)
	case "n":
		return putUint(dst, 0)
	}
	if q, err := strconv.Unquote(s); err == nil {
		if len(q) >= len(dst) {
			return fmt.Errorf("string of %d bytes does not fit %d bytes with its NUL", len(q), len(dst))
		}
		copy(dst, q)
		return nil
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return err
	}
	return putUint(dst, uint64(n))
}

// kernelVersionCode is KERNEL_VERSION(major, minor, patch) of the running
// kernel's release, patch capped at 255 as the kernel's macro does.
func kernelVersionCode() (uint32, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return 0, err
	}
	return parseVersionCode(unix.ByteSliceToString(u.Release[:]))
}

func parseVersionCode(release string) (uint32, error) {
	var v [3]uint32
	rest := release
	parsed := 0
	for i := range v {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 {
			if i < 2 {
				return 0, fmt.Errorf("kernel release %q: no version", release)
			}
			break
		}
		n, err := strconv.ParseUint(rest[:j], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("kernel release %q: %w", release, err)
		}
		v[i] = uint32(n)
		parsed++
		rest = rest[j:]
		if !strings.HasPrefix(rest, ".") {
			break
		}
		rest = rest[1:]
	}
	if parsed < 2 {
		return 0, fmt.Errorf("kernel release %q: no major.minor version", release)
	}
	return v[0]<<16 + v[1]<<8 + min(v[2], 255), nil
}

// readKernelConfig reads the running kernel's configuration from
// /proc/config.gz or /boot/config-<release>.
func readKernelConfig() (map[string]string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, err
	}
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("/proc/config.gz: %w", err)
		}
		return parseKernelConfig(z)
	}
	path := "/boot/config-" + unix.ByteSliceToString(u.Release[:])
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kernel configuration: no /proc/config.gz and %w", err)
	}
	defer f.Close()
	return parseKernelConfig(f)
}

func parseKernelConfig(r io.Reader) (map[string]string, error) {
	config := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "CONFIG_") {
			config[k] = v
		}
	}
	return config, sc.Err()
}
