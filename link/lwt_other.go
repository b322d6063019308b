//go:build !linux

package link

func lwtRouteAdd(*LWTOptions) error { return ErrNotSupported }

func lwtRouteDel(*LWTOptions) error { return ErrNotSupported }
