//! The socket options std, tokio and socket2 do not wrap: protocol-
//! independent source-specific joins (RFC 3678 `MCAST_JOIN_SOURCE_GROUP`,
//! one call for IPv4 and IPv6) and receiving a datagram with the address
//! it was sent to (`IP_PKTINFO`, `IPV6_RECVPKTINFO`), so one socket per
//! port serves every channel joined on it.

use std::{
	io,
	mem::{size_of, zeroed},
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	os::fd::AsRawFd,
};

fn storage(address: IpAddr) -> libc::sockaddr_storage {
	// SAFETY: sockaddr_storage is plain data, valid all zeros, and large
	// and aligned enough for either sockaddr it is viewed as.
	unsafe {
		let mut storage: libc::sockaddr_storage = zeroed();
		match address {
			IpAddr::V4(a) => {
				let sin = &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in);
				sin.sin_family = libc::AF_INET as libc::sa_family_t;
				sin.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
			}
			IpAddr::V6(a) => {
				let sin6 = &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in6);
				sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
				sin6.sin6_addr.s6_addr = a.octets();
			}
		}
		storage
	}
}

fn check(result: libc::c_int) -> io::Result<()> {
	if result < 0 {
		Err(io::Error::last_os_error())
	} else {
		Ok(())
	}
}

/// Joins (or leaves) `source`'s traffic to `group` on interface
/// `interface` (an index; 0 lets the kernel choose by route).
pub fn source_membership(
	socket: &impl AsRawFd,
	interface: u32,
	source: IpAddr,
	group: IpAddr,
	join: bool,
) -> io::Result<()> {
	let request = libc::group_source_req {
		gsr_interface: interface,
		gsr_group: storage(group),
		gsr_source: storage(source),
	};
	let level = if group.is_ipv6() { libc::IPPROTO_IPV6 } else { libc::IPPROTO_IP };
	let name = if join { libc::MCAST_JOIN_SOURCE_GROUP } else { libc::MCAST_LEAVE_SOURCE_GROUP };
	// SAFETY: a valid fd, and a pointer to a live struct of the given size.
	check(unsafe {
		libc::setsockopt(
			socket.as_raw_fd(),
			level,
			name,
			&request as *const _ as *const libc::c_void,
			size_of::<libc::group_source_req>() as libc::socklen_t,
		)
	})
}

fn set_int(
	socket: &impl AsRawFd,
	level: libc::c_int,
	name: libc::c_int,
	value: libc::c_int,
) -> io::Result<()> {
	// SAFETY: a valid fd, and a pointer to a live int.
	check(unsafe {
		libc::setsockopt(
			socket.as_raw_fd(),
			level,
			name,
			&value as *const _ as *const libc::c_void,
			size_of::<libc::c_int>() as libc::socklen_t,
		)
	})
}

/// Asks for each datagram's destination address, and (IPv4) for only the
/// groups this socket joined rather than every group the host joined.
pub fn prepare_multicast_receiver(socket: &socket2::Socket, ipv6: bool) -> io::Result<()> {
	// socket2 has the multicast-all switch; the packet-info one is ours.
	if ipv6 {
		set_int(socket, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
		socket.set_multicast_all_v6(false)
	} else {
		set_int(socket, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
		socket.set_multicast_all_v4(false)
	}
}

/// One datagram, non-blocking: its length, sender and destination address.
pub fn recv_with_destination(
	socket: &impl AsRawFd,
	buffer: &mut [u8],
) -> io::Result<(usize, SocketAddr, IpAddr)> {
	// SAFETY: every pointer handed to recvmsg points into a live local of
	// the size given with it; control messages are read only within
	// msg_controllen, through libc's CMSG macros, and unaligned.
	unsafe {
		let mut from: libc::sockaddr_storage = zeroed();
		let mut control = [0u64; 16];
		let mut iov = libc::iovec { iov_base: buffer.as_mut_ptr().cast(), iov_len: buffer.len() };
		let mut header: libc::msghdr = zeroed();
		header.msg_name = (&mut from as *mut libc::sockaddr_storage).cast();
		header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
		header.msg_iov = &mut iov;
		header.msg_iovlen = 1;
		header.msg_control = control.as_mut_ptr().cast();
		header.msg_controllen = size_of::<[u64; 16]>() as _;
		let n = libc::recvmsg(socket.as_raw_fd(), &mut header, libc::MSG_DONTWAIT);
		if n < 0 {
			return Err(io::Error::last_os_error());
		}
		if header.msg_flags & libc::MSG_TRUNC != 0 {
			return Err(io::Error::new(
				io::ErrorKind::InvalidData,
				"datagram larger than the buffer",
			));
		}
		let source = match i32::from(from.ss_family) {
			libc::AF_INET => {
				let sin = &*(&from as *const _ as *const libc::sockaddr_in);
				SocketAddr::new(
					Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()).into(),
					u16::from_be(sin.sin_port),
				)
			}
			libc::AF_INET6 => {
				let sin6 = &*(&from as *const _ as *const libc::sockaddr_in6);
				SocketAddr::new(
					Ipv6Addr::from(sin6.sin6_addr.s6_addr).into(),
					u16::from_be(sin6.sin6_port),
				)
			}
			_ => {
				return Err(io::Error::new(io::ErrorKind::InvalidData, "sender of unknown family"))
			}
		};
		let mut cmsg = libc::CMSG_FIRSTHDR(&header);
		while !cmsg.is_null() {
			let data = libc::CMSG_DATA(cmsg);
			match ((*cmsg).cmsg_level, (*cmsg).cmsg_type) {
				(libc::IPPROTO_IP, libc::IP_PKTINFO) => {
					let info = (data as *const libc::in_pktinfo).read_unaligned();
					let to = Ipv4Addr::from(info.ipi_addr.s_addr.to_ne_bytes());
					return Ok((n as usize, source, to.into()));
				}
				(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
					let info = (data as *const libc::in6_pktinfo).read_unaligned();
					return Ok((n as usize, source, Ipv6Addr::from(info.ipi6_addr.s6_addr).into()));
				}
				_ => {}
			}
			cmsg = libc::CMSG_NXTHDR(&header, cmsg);
		}
		Err(io::Error::new(io::ErrorKind::InvalidData, "no destination address with the datagram"))
	}
}

/// The index of the interface called `name`.
pub fn interface_index(name: &str) -> io::Result<u32> {
	let name = std::ffi::CString::new(name)
		.map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name with NUL"))?;
	// SAFETY: a valid NUL-terminated string.
	match unsafe { libc::if_nametoindex(name.as_ptr()) } {
		0 => Err(io::Error::last_os_error()),
		index => Ok(index),
	}
}
