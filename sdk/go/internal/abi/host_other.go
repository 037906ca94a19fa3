//go:build !wasip1

package abi

// NoHostMessage is the panic of a host call made outside of e2rx and outside of a test host.
const NoHostMessage = "e2rx: no host: the SDK's functions work inside e2rx (a GOOS=wasip1 build) or in a test that installs a host with e2rxtest.New"

// noHost is the host outside of WebAssembly when no test installed one: every call panics with NoHostMessage.
type noHost struct{}

func defaultHost() Host { return noHost{} }

func (noHost) ReturnResult([]byte, int32)                  { panic(NoHostMessage) }
func (noHost) ReturnError(int32, []byte, int32)            { panic(NoHostMessage) }
func (noHost) GetFFIResult([]byte, int32) int32            { panic(NoHostMessage) }
func (noHost) AddFFIVar(_, _ []byte, _ int32) int32        { panic(NoHostMessage) }
func (noHost) FetchURL(int32, []byte, []byte, int32) int32 { panic(NoHostMessage) }
func (noHost) GraphQLQuery(_, _ []byte, _ int32) int32     { panic(NoHostMessage) }
func (noHost) CacheSet(_, _ []byte, _, _ int32) int32      { panic(NoHostMessage) }
func (noHost) CacheGet([]byte, int32) int32                { panic(NoHostMessage) }
func (noHost) LogMsg([]byte, int32, int32)                 { panic(NoHostMessage) }
func (noHost) RequestGetField(int32, []byte, int32) int32  { panic(NoHostMessage) }
func (noHost) RequestSetField(int32, []byte, []byte, int32) int32 {
	panic(NoHostMessage)
}
func (noHost) RespSetHeader(_, _ []byte, _ int32) { panic(NoHostMessage) }
func (noHost) GetStaticFile([]byte, int32) int32  { panic(NoHostMessage) }
func (noHost) DBExec(int32, []byte, int32) int32  { panic(NoHostMessage) }
func (noHost) GetSecretValue([]byte, int32) int32 { panic(NoHostMessage) }
