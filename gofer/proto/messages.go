package proto

// A name field may be longer than NameMax on the wire so that the server, not the decoder,
// answers an over-long name with ENAMETOOLONG; anything longer than this is malformed.
const wireNameMax = PathMax

// Timespec is a time; Nsec may be UTIME_NOW or UTIME_OMIT in a SetAttr request.
type Timespec struct {
	Sec  int64
	Nsec uint32
}

func (t *Timespec) encode(e *Encoder) { e.I64(t.Sec); e.U32(t.Nsec) }
func (t *Timespec) decode(d *Decoder) { t.Sec = d.I64(); t.Nsec = d.U32() }

// Stat is a file's attributes, as statx reports them.
type Stat struct {
	Mode    uint32 // type and permission bits (S_IF* | 07777)
	Nlink   uint64
	UID     uint32
	GID     uint32
	Size    uint64
	Blocks  uint64 // 512-byte blocks
	Blksize uint32
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
	Ino     uint64
	Dev     uint64
	Rdev    uint64
}

// statSize is the encoded size of a Stat.
const statSize = 4 + 8 + 4 + 4 + 8 + 8 + 4 + 3*12 + 8 + 8 + 8

func (s *Stat) encode(e *Encoder) {
	e.U32(s.Mode)
	e.U64(s.Nlink)
	e.U32(s.UID)
	e.U32(s.GID)
	e.U64(s.Size)
	e.U64(s.Blocks)
	e.U32(s.Blksize)
	s.Atime.encode(e)
	s.Mtime.encode(e)
	s.Ctime.encode(e)
	e.U64(s.Ino)
	e.U64(s.Dev)
	e.U64(s.Rdev)
}

func (s *Stat) decode(d *Decoder) {
	s.Mode = d.U32()
	s.Nlink = d.U64()
	s.UID = d.U32()
	s.GID = d.U32()
	s.Size = d.U64()
	s.Blocks = d.U64()
	s.Blksize = d.U32()
	s.Atime.decode(d)
	s.Mtime.decode(d)
	s.Ctime.decode(d)
	s.Ino = d.U64()
	s.Dev = d.U64()
	s.Rdev = d.U64()
}

// Inode is a handle with the attributes of its file.
type Inode struct {
	Handle Handle
	Stat   Stat
}

const inodeSize = 8 + statSize

func (i *Inode) encode(e *Encoder) { e.U64(uint64(i.Handle)); i.Stat.encode(e) }
func (i *Inode) decode(d *Decoder) { i.Handle = Handle(d.U64()); i.Stat.decode(d) }

// VersionReq opens a connection: the client's magic and highest version.
type VersionReq struct {
	Magic   uint32
	Version uint32
}

func (*VersionReq) Op() Op              { return OpVersion }
func (m *VersionReq) Encode(e *Encoder) { e.U32(m.Magic); e.U32(m.Version) }
func (m *VersionReq) Decode(d *Decoder) { m.Magic = d.U32(); m.Version = d.U32() }

// VersionResp is the version both sides will speak and the server's limits.
type VersionResp struct {
	Version    uint32
	MaxMessage uint32
	MaxWalk    uint32
}

func (*VersionResp) Op() Op { return OpVersion | RespBit }
func (m *VersionResp) Encode(e *Encoder) {
	e.U32(m.Version)
	e.U32(m.MaxMessage)
	e.U32(m.MaxWalk)
}
func (m *VersionResp) Decode(d *Decoder) {
	m.Version = d.U32()
	m.MaxMessage = d.U32()
	m.MaxWalk = d.U32()
}

// AttachReq asks for the root of the attach point (mount) Name.
type AttachReq struct{ Name string }

func (*AttachReq) Op() Op              { return OpAttach }
func (m *AttachReq) Encode(e *Encoder) { e.String(m.Name) }
func (m *AttachReq) Decode(d *Decoder) { m.Name = d.String(PathMax) }

// AttachResp is the root's handle, and whether the attach point is read-only.
type AttachResp struct {
	Root     Inode
	ReadOnly uint8
}

func (*AttachResp) Op() Op              { return OpAttach | RespBit }
func (m *AttachResp) Encode(e *Encoder) { m.Root.encode(e); e.U8(m.ReadOnly) }
func (m *AttachResp) Decode(d *Decoder) {
	m.Root.decode(d)
	if m.ReadOnly = d.U8(); m.ReadOnly > 1 {
		d.fail("read-only flag")
	}
}

// WalkReq walks Names one component at a time from the directory Dir.
type WalkReq struct {
	Dir   Handle
	Names []string
}

func (*WalkReq) Op() Op { return OpWalk }
func (m *WalkReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.U32(uint32(len(m.Names)))
	for _, n := range m.Names {
		e.String(n)
	}
}
func (m *WalkReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	n := d.Count(MaxWalk, 4)
	m.Names = make([]string, n)
	for i := range m.Names {
		m.Names[i] = d.String(wireNameMax)
	}
}

// WalkResp holds an inode for each component walked. Fewer inodes than names means the
// walk stopped: Errno says why (ENOENT, ENOTDIR, EACCES...), or is 0 when the last inode is
// a symlink, which the server never follows.
type WalkResp struct {
	Inodes []Inode
	Errno  uint32
}

func (*WalkResp) Op() Op { return OpWalk | RespBit }
func (m *WalkResp) Encode(e *Encoder) {
	e.U32(uint32(len(m.Inodes)))
	for i := range m.Inodes {
		m.Inodes[i].encode(e)
	}
	e.U32(m.Errno)
}
func (m *WalkResp) Decode(d *Decoder) {
	n := d.Count(MaxWalk, inodeSize)
	m.Inodes = make([]Inode, n)
	for i := range m.Inodes {
		m.Inodes[i].decode(d)
	}
	m.Errno = d.U32()
}

// OpenReq opens the file of a handle with open(2) flags; the response carries the host fd.
type OpenReq struct {
	Handle Handle
	Flags  uint32
}

func (*OpenReq) Op() Op              { return OpOpen }
func (m *OpenReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)); e.U32(m.Flags) }
func (m *OpenReq) Decode(d *Decoder) { m.Handle = Handle(d.U64()); m.Flags = d.U32() }

// OpenResp carries one descriptor and nothing else.
type OpenResp struct{}

func (*OpenResp) Op() Op          { return OpOpen | RespBit }
func (*OpenResp) Encode(*Encoder) {}
func (*OpenResp) Decode(*Decoder) {}

// CreateReq creates and opens a new regular file Name in Dir (always exclusive).
type CreateReq struct {
	Dir   Handle
	Name  string
	Flags uint32
	Mode  uint32
	UID   uint32
	GID   uint32
}

func (*CreateReq) Op() Op { return OpCreate }
func (m *CreateReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.U32(m.Flags)
	e.U32(m.Mode)
	e.U32(m.UID)
	e.U32(m.GID)
}
func (m *CreateReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Flags = d.U32()
	m.Mode = d.U32()
	m.UID = d.U32()
	m.GID = d.U32()
}

// CreateResp is the new file's inode; the open descriptor is attached.
type CreateResp struct{ Inode Inode }

func (*CreateResp) Op() Op              { return OpCreate | RespBit }
func (m *CreateResp) Encode(e *Encoder) { m.Inode.encode(e) }
func (m *CreateResp) Decode(d *Decoder) { m.Inode.decode(d) }

// MkdirReq creates directory Name in Dir.
type MkdirReq struct {
	Dir  Handle
	Name string
	Mode uint32
	UID  uint32
	GID  uint32
}

func (*MkdirReq) Op() Op { return OpMkdir }
func (m *MkdirReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.U32(m.Mode)
	e.U32(m.UID)
	e.U32(m.GID)
}
func (m *MkdirReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Mode = d.U32()
	m.UID = d.U32()
	m.GID = d.U32()
}

// MknodReq creates a regular file, FIFO or socket Name in Dir; Mode includes the type.
type MknodReq struct {
	Dir  Handle
	Name string
	Mode uint32
	Rdev uint64
	UID  uint32
	GID  uint32
}

func (*MknodReq) Op() Op { return OpMknod }
func (m *MknodReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.U32(m.Mode)
	e.U64(m.Rdev)
	e.U32(m.UID)
	e.U32(m.GID)
}
func (m *MknodReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Mode = d.U32()
	m.Rdev = d.U64()
	m.UID = d.U32()
	m.GID = d.U32()
}

// SymlinkReq creates symlink Name in Dir pointing at Target.
type SymlinkReq struct {
	Dir    Handle
	Name   string
	Target string
	UID    uint32
	GID    uint32
}

func (*SymlinkReq) Op() Op { return OpSymlink }
func (m *SymlinkReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.String(m.Target)
	e.U32(m.UID)
	e.U32(m.GID)
}
func (m *SymlinkReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Target = d.String(PathMax + 1)
	m.UID = d.U32()
	m.GID = d.U32()
}

// LinkReq creates hard link Name in Dir to the file of Target.
type LinkReq struct {
	Dir    Handle
	Name   string
	Target Handle
}

func (*LinkReq) Op() Op { return OpLink }
func (m *LinkReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.U64(uint64(m.Target))
}
func (m *LinkReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Target = Handle(d.U64())
}

// InodeResp is the response of mkdir, mknod, symlink and link: the new file's inode.
type InodeResp struct {
	op    Op
	Inode Inode
}

// NewInodeResp returns the response to request op.
func NewInodeResp(op Op, i Inode) *InodeResp { return &InodeResp{op: op | RespBit, Inode: i} }

func (m *InodeResp) Op() Op            { return m.op }
func (m *InodeResp) Encode(e *Encoder) { m.Inode.encode(e) }
func (m *InodeResp) Decode(d *Decoder) { m.Inode.decode(d) }

// UnlinkReq removes Name from Dir; Flags may be AT_REMOVEDIR.
type UnlinkReq struct {
	Dir   Handle
	Name  string
	Flags uint32
}

func (*UnlinkReq) Op() Op { return OpUnlink }
func (m *UnlinkReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.String(m.Name)
	e.U32(m.Flags)
}
func (m *UnlinkReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Name = d.String(wireNameMax)
	m.Flags = d.U32()
}

// RenameReq is renameat2(OldDir, OldName, NewDir, NewName, Flags).
type RenameReq struct {
	OldDir  Handle
	OldName string
	NewDir  Handle
	NewName string
	Flags   uint32
}

func (*RenameReq) Op() Op { return OpRename }
func (m *RenameReq) Encode(e *Encoder) {
	e.U64(uint64(m.OldDir))
	e.String(m.OldName)
	e.U64(uint64(m.NewDir))
	e.String(m.NewName)
	e.U32(m.Flags)
}
func (m *RenameReq) Decode(d *Decoder) {
	m.OldDir = Handle(d.U64())
	m.OldName = d.String(wireNameMax)
	m.NewDir = Handle(d.U64())
	m.NewName = d.String(wireNameMax)
	m.Flags = d.U32()
}

// ReadlinkReq reads the target of a symlink handle.
type ReadlinkReq struct{ Handle Handle }

func (*ReadlinkReq) Op() Op              { return OpReadlink }
func (m *ReadlinkReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)) }
func (m *ReadlinkReq) Decode(d *Decoder) { m.Handle = Handle(d.U64()) }

// ReadlinkResp is a symlink's target.
type ReadlinkResp struct{ Target string }

func (*ReadlinkResp) Op() Op              { return OpReadlink | RespBit }
func (m *ReadlinkResp) Encode(e *Encoder) { e.String(m.Target) }
func (m *ReadlinkResp) Decode(d *Decoder) { m.Target = d.String(PathMax + 1) }

// GetdentsReq reads directory entries of Dir starting after the position Offset (0 is the
// start; otherwise the Off of an entry returned earlier), at most MaxBytes of encoded entries.
type GetdentsReq struct {
	Dir      Handle
	Offset   uint64
	MaxBytes uint32
}

func (*GetdentsReq) Op() Op { return OpGetdents }
func (m *GetdentsReq) Encode(e *Encoder) {
	e.U64(uint64(m.Dir))
	e.U64(m.Offset)
	e.U32(m.MaxBytes)
}
func (m *GetdentsReq) Decode(d *Decoder) {
	m.Dir = Handle(d.U64())
	m.Offset = d.U64()
	m.MaxBytes = d.U32()
}

// Dirent is one directory entry. Type is a DT_* value; Off is the position after it.
type Dirent struct {
	Ino  uint64
	Off  uint64
	Type uint8
	Name string
}

// DirentSize is the encoded size of an entry.
func DirentSize(name string) int { return 8 + 8 + 1 + 4 + len(name) }

// GetdentsResp holds entries; none means the end of the directory. "." and ".." are
// never included: the client makes them up.
type GetdentsResp struct{ Dirents []Dirent }

func (*GetdentsResp) Op() Op { return OpGetdents | RespBit }
func (m *GetdentsResp) Encode(e *Encoder) {
	e.U32(uint32(len(m.Dirents)))
	for _, de := range m.Dirents {
		e.U64(de.Ino)
		e.U64(de.Off)
		e.U8(de.Type)
		e.String(de.Name)
	}
}
func (m *GetdentsResp) Decode(d *Decoder) {
	n := d.Count(MaxPayload, DirentSize(""))
	m.Dirents = make([]Dirent, n)
	for i := range m.Dirents {
		de := &m.Dirents[i]
		de.Ino = d.U64()
		de.Off = d.U64()
		de.Type = d.U8()
		de.Name = d.String(NameMax)
	}
}

// StatReq asks for a handle's attributes.
type StatReq struct{ Handle Handle }

func (*StatReq) Op() Op              { return OpStat }
func (m *StatReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)) }
func (m *StatReq) Decode(d *Decoder) { m.Handle = Handle(d.U64()) }

// StatResp is the response of stat and setattr: the file's (new) attributes.
type StatResp struct {
	op   Op
	Stat Stat
}

// NewStatResp returns the response to request op.
func NewStatResp(op Op, s Stat) *StatResp { return &StatResp{op: op | RespBit, Stat: s} }

func (m *StatResp) Op() Op            { return m.op }
func (m *StatResp) Encode(e *Encoder) { m.Stat.encode(e) }
func (m *StatResp) Decode(d *Decoder) { m.Stat.decode(d) }

// SetAttr mask bits: which fields of a SetAttrReq apply.
const (
	SetAttrMode uint32 = 1 << iota
	SetAttrUID
	SetAttrGID
	SetAttrSize
	SetAttrAtime
	SetAttrMtime
	setAttrAll = SetAttrMode | SetAttrUID | SetAttrGID | SetAttrSize | SetAttrAtime | SetAttrMtime
)

// SetAttrReq changes the attributes selected by Mask.
type SetAttrReq struct {
	Handle Handle
	Mask   uint32
	Mode   uint32
	UID    uint32
	GID    uint32
	Size   uint64
	Atime  Timespec
	Mtime  Timespec
}

func (*SetAttrReq) Op() Op { return OpSetAttr }
func (m *SetAttrReq) Encode(e *Encoder) {
	e.U64(uint64(m.Handle))
	e.U32(m.Mask)
	e.U32(m.Mode)
	e.U32(m.UID)
	e.U32(m.GID)
	e.U64(m.Size)
	m.Atime.encode(e)
	m.Mtime.encode(e)
}
func (m *SetAttrReq) Decode(d *Decoder) {
	m.Handle = Handle(d.U64())
	if m.Mask = d.U32(); m.Mask&^setAttrAll != 0 {
		d.fail("setattr mask")
	}
	m.Mode = d.U32()
	m.UID = d.U32()
	m.GID = d.U32()
	m.Size = d.U64()
	m.Atime.decode(d)
	m.Mtime.decode(d)
}

// StatFSReq asks for the statistics of the filesystem holding a handle.
type StatFSReq struct{ Handle Handle }

func (*StatFSReq) Op() Op              { return OpStatFS }
func (m *StatFSReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)) }
func (m *StatFSReq) Decode(d *Decoder) { m.Handle = Handle(d.U64()) }

// StatFS is statfs(2)'s answer.
type StatFS struct {
	Type    uint64
	Bsize   uint64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Namelen uint64
	Frsize  uint64
	Flags   uint64
}

// StatFSResp carries a StatFS.
type StatFSResp struct{ StatFS StatFS }

func (*StatFSResp) Op() Op { return OpStatFS | RespBit }
func (m *StatFSResp) fields() []*uint64 {
	s := &m.StatFS
	return []*uint64{&s.Type, &s.Bsize, &s.Blocks, &s.Bfree, &s.Bavail, &s.Files, &s.Ffree,
		&s.Namelen, &s.Frsize, &s.Flags}
}
func (m *StatFSResp) Encode(e *Encoder) {
	for _, f := range m.fields() {
		e.U64(*f)
	}
}
func (m *StatFSResp) Decode(d *Decoder) {
	for _, f := range m.fields() {
		*f = d.U64()
	}
}

// GetXattrReq reads extended attribute Name.
type GetXattrReq struct {
	Handle Handle
	Name   string
}

func (*GetXattrReq) Op() Op              { return OpGetXattr }
func (m *GetXattrReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)); e.String(m.Name) }
func (m *GetXattrReq) Decode(d *Decoder) {
	m.Handle = Handle(d.U64())
	m.Name = d.String(XattrNameMax + 1)
}

// GetXattrResp is the whole value.
type GetXattrResp struct{ Value []byte }

func (*GetXattrResp) Op() Op              { return OpGetXattr | RespBit }
func (m *GetXattrResp) Encode(e *Encoder) { e.Bytes(m.Value) }
func (m *GetXattrResp) Decode(d *Decoder) { m.Value = d.Bytes(XattrSizeMax) }

// SetXattrReq is setxattr(2); Flags may be XATTR_CREATE or XATTR_REPLACE.
type SetXattrReq struct {
	Handle Handle
	Name   string
	Value  []byte
	Flags  uint32
}

func (*SetXattrReq) Op() Op { return OpSetXattr }
func (m *SetXattrReq) Encode(e *Encoder) {
	e.U64(uint64(m.Handle))
	e.String(m.Name)
	e.Bytes(m.Value)
	e.U32(m.Flags)
}
func (m *SetXattrReq) Decode(d *Decoder) {
	m.Handle = Handle(d.U64())
	m.Name = d.String(XattrNameMax + 1)
	m.Value = d.Bytes(XattrSizeMax + 1)
	m.Flags = d.U32()
}

// ListXattrReq lists the extended attribute names of a handle.
type ListXattrReq struct{ Handle Handle }

func (*ListXattrReq) Op() Op              { return OpListXattr }
func (m *ListXattrReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)) }
func (m *ListXattrReq) Decode(d *Decoder) { m.Handle = Handle(d.U64()) }

// ListXattrResp holds the names.
type ListXattrResp struct{ Names []string }

func (*ListXattrResp) Op() Op { return OpListXattr | RespBit }
func (m *ListXattrResp) Encode(e *Encoder) {
	e.U32(uint32(len(m.Names)))
	for _, n := range m.Names {
		e.String(n)
	}
}
func (m *ListXattrResp) Decode(d *Decoder) {
	m.Names = make([]string, d.Count(XattrSizeMax, 4))
	for i := range m.Names {
		m.Names[i] = d.String(XattrNameMax)
	}
}

// RemoveXattrReq removes extended attribute Name.
type RemoveXattrReq struct {
	Handle Handle
	Name   string
}

func (*RemoveXattrReq) Op() Op              { return OpRemoveXattr }
func (m *RemoveXattrReq) Encode(e *Encoder) { e.U64(uint64(m.Handle)); e.String(m.Name) }
func (m *RemoveXattrReq) Decode(d *Decoder) {
	m.Handle = Handle(d.U64())
	m.Name = d.String(XattrNameMax + 1)
}

// CloseReq releases handles.
type CloseReq struct{ Handles []Handle }

// MaxClose is the most handles one Close request may carry.
const MaxClose = 4096

func (*CloseReq) Op() Op { return OpClose }
func (m *CloseReq) Encode(e *Encoder) {
	e.U32(uint32(len(m.Handles)))
	for _, h := range m.Handles {
		e.U64(uint64(h))
	}
}
func (m *CloseReq) Decode(d *Decoder) {
	m.Handles = make([]Handle, d.Count(MaxClose, 8))
	for i := range m.Handles {
		m.Handles[i] = Handle(d.U64())
	}
}

// EmptyResp is the response of operations that return nothing but success.
type EmptyResp struct{ op Op }

// NewEmptyResp returns the response to request op.
func NewEmptyResp(op Op) *EmptyResp { return &EmptyResp{op: op | RespBit} }

func (m *EmptyResp) Op() Op        { return m.op }
func (*EmptyResp) Encode(*Encoder) {}
func (*EmptyResp) Decode(*Decoder) {}

// ErrorResp reports that a request failed with a Linux errno.
type ErrorResp struct{ Errno uint32 }

func (*ErrorResp) Op() Op              { return OpError }
func (m *ErrorResp) Encode(e *Encoder) { e.U32(m.Errno) }
func (m *ErrorResp) Decode(d *Decoder) {
	if m.Errno = d.U32(); m.Errno == 0 || m.Errno > 4095 {
		d.fail("errno")
	}
}
