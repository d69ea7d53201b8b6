package command

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

// zsetScript is a session of sorted-set commands with the replies
// redis-server 7.0.15 gave, one command a line: "command => RESP2 reply",
// followed by " || RESP3 reply" where RESP3 differs. $L65 stands for a
// 65-byte member (over zset-max-listpack-value) and $BIG for 130
// score-member pairs (over zset-max-listpack-entries). "# reset" starts
// again on an empty keyspace.
const zsetScript = `
del z s d z2 set1 big lz e1 e2 => :0
zadd z 1 a 2 b => :2
zrange z 0 -1 withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zscore z a => "1" || ,1
zscore z x => nil
zpopmin z 1 => ["a" "1"] || [["a" ,1]]
zadd z 1 a => :1
zpopmin z => ["a" "1"] || ["a" ,1]
zadd z 1 a 2 b => :1
zunion 1 z withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zscan z 0 => ["0" ["a" "1" "b" "2"]]
zmpop 1 z min count 5 => ["z" [["a" "1"] ["b" "2"]]] || ["z" [["a" ,1] ["b" ,2]]]
zadd z 1 a 2 b => :2
zrangebyscore z -inf inf withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zincrby z 1 b => "3" || ,3
zadd z incr 1 b => "4" || ,4
zadd z nx incr 1 b => nil
zmscore z a b c => ["1" "4" nil] || [,1 ,4 nil]
zinter 1 z withscores => ["a" "1" "b" "4"] || [["a" ,1] ["b" ,4]]
zdiff 1 z withscores => ["a" "1" "b" "4"] || [["a" ,1] ["b" ,4]]
del z => :1
zadd z 1 a => :1
zadd z xx nx 1 a => (error) ERR XX and NX options at the same time are not compatible
zadd z gt lt 1 a => (error) ERR GT, LT, and/or NX options at the same time are not compatible
zadd z gt nx 1 a => (error) ERR GT, LT, and/or NX options at the same time are not compatible
zadd z incr 1 a 2 b => (error) ERR INCR option supports a single increment-element pair
zadd z nan a => (error) ERR value is not a valid float
zadd z 1 a 2 => (error) ERR syntax error
zadd z => (error) ERR wrong number of arguments for 'zadd' command
zadd z ch => (error) ERR wrong number of arguments for 'zadd' command
zadd z ch 1 => (error) ERR syntax error
zadd z foo 1 a => (error) ERR syntax error
zadd z 1 => (error) ERR wrong number of arguments for 'zadd' command
zadd z inf a => :0
zadd z incr -inf a => (error) ERR resulting score is not a number (NaN)
zadd z 1 a => :0
zadd z incr -inf a => "-inf" || ,-inf
zincrby z inf a => (error) ERR resulting score is not a number (NaN)
zincrby z nan a => (error) ERR value is not a valid float
zincrby z x a => (error) ERR value is not a valid float
zadd z xx 1 new => :0
zadd nokey xx 1 a => :0
exists nokey => :0
zadd nokey xx incr 1 a => nil
zadd z gt ch 5 a 1 b => :2
zadd z lt ch 3 a => :1
zadd z gt incr -1 a => nil
zadd z lt incr -1 a => "2" || ,2
zadd z 1 a 1 a 2 a => :0
zscore z a => "2" || ,2
del z => :1
zadd z 0x10 hex => :1
zadd z 1e-310 tiny => :1
zadd z 1e-400 tiny2 => (error) ERR value is not a valid float
zadd z " 1" sp => (error) ERR value is not a valid float
zadd z "1 " sp2 => (error) ERR value is not a valid float
zadd z infinity i => :1
zadd z -INF ni => :1
zadd z +5 plus => :1
zadd z .5 dot => :1
zadd z 5. dot2 => :1
zadd z 1e400 huge => (error) ERR value is not a valid float
zadd z 0x1p3 hexp => :1
zadd z 1e5x bad => (error) ERR value is not a valid float
zadd z 1e bad => (error) ERR value is not a valid float
zadd z 0x bad => (error) ERR value is not a valid float
zadd z -nan bad => (error) ERR value is not a valid float
zadd z infinit bad => (error) ERR value is not a valid float
zrange z 0 -1 withscores => ["ni" "-inf" "tiny" "9.9999999999999694e-311" "dot" "0.5" "dot2" "5" "plus" "5" "hexp" "8" "hex" "16" "i" "inf"] || [["ni" ,-inf] ["tiny" ,9.9999999999999694e-311] ["dot" ,0.5] ["dot2" ,5] ["plus" ,5] ["hexp" ,8] ["hex" ,16] ["i" ,inf]]
zrangebyscore z (0x1 +inf => ["dot2" "plus" "hexp" "hex" "i"]
zrangebyscore z " 1" 2 => []
zrangebyscore z ( 2 => ["tiny" "dot"]
zrangebyscore z (nan 2 => (error) ERR min or max is not a float
zrangebyscore z nan 2 => (error) ERR min or max is not a float
zrangebyscore z 1e400 2 => []
zrangebyscore z 1e-400 2 => ["tiny" "dot"]
zrangebyscore z "" 2 => ["tiny" "dot"]
zrangebyscore z "  " 2 => (error) ERR min or max is not a float
zrangebyscore z -inf (5 => ["ni" "tiny" "dot"]
del z s => :1
zadd z 1 a 2 b 3 c 4 d => :4
set s x => OK
zrange z 0 -1 limit 0 2 => (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrange z - + bylex withscores => (error) ERR syntax error, WITHSCORES not supported in combination with BYLEX
zrange z - + byscore bylex => (error) ERR syntax error
zrange z (1 4 => (error) ERR value is not an integer or out of range
zrange z x 5 byscore => (error) ERR min or max is not a float
zrange z a c bylex => (error) ERR min or max not valid string range item
zrange z -inf +inf byscore limit a b => (error) ERR value is not an integer or out of range
zrange z 0 -1 rev => ["d" "c" "b" "a"]
zrange z 4 1 byscore rev => ["d" "c" "b" "a"]
zrange z 1 4 byscore rev => []
zrange z + - bylex rev => ["d" "c" "b" "a"]
zrange z 0 -1 withscores withscores => ["a" "1" "b" "2" "c" "3" "d" "4"] || [["a" ,1] ["b" ,2] ["c" ,3] ["d" ,4]]
zrange z 0 -1 foo => (error) ERR syntax error
zrange z 0 -1 limit 0 => (error) ERR syntax error
zrange z 0 -1 byscore limit 0 => (error) ERR syntax error
zrange z 0 -1 byscore limit 1 -1 => []
zrange z 0 -1 byscore limit -1 2 => []
zrange z 0 +inf byscore limit 1 2 withscores => ["b" "2" "c" "3"] || [["b" ,2] ["c" ,3]]
zrange z -inf +inf byscore limit 1 -5 withscores => ["b" "2" "c" "3" "d" "4"] || [["b" ,2] ["c" ,3] ["d" ,4]]
zrange z -inf +inf byscore rev limit 1 2 withscores => []
zrange z + - bylex rev limit 1 2 => ["c" "b"]
zrange z - + bylex limit 3 10 => ["d"]
zrange z - + bylex limit 10 10 => []
zrange s 0 -1 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrange s 0 -1 limit 0 1 => (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrange s a b byscore => (error) ERR min or max is not a float
zrange nokey a b byscore => (error) ERR min or max is not a float
zrange nokey 0 -1 limit 0 1 => (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrange nokey 0 -1 => []
zrange z 0 -1 bylex => (error) ERR min or max not valid string range item
zrange z [a [c bylex limit 1 1 => ["b"]
zrange z 1 2 byscore limit 0 1 limit 1 1 => ["b"]
zrange z 0 x => (error) ERR value is not an integer or out of range
zrange z x 0 byscore => (error) ERR min or max is not a float
zrange z 1 x byscore => (error) ERR min or max is not a float
zrange z -100 100 => ["a" "b" "c" "d"]
zrange z 3 1 => []
zrange z 9223372036854775807 -9223372036854775808 => []
zrange z -9223372036854775808 9223372036854775807 => ["a" "b" "c" "d"]
zrange z 0 -1 byscore bylex limit 0 1 => (error) ERR syntax error
zrange z 0 -1 limit 0 1 withscores bylex => (error) ERR syntax error, WITHSCORES not supported in combination with BYLEX
zrange z 0 -1 bylex withscores limit 0 1 => (error) ERR syntax error, WITHSCORES not supported in combination with BYLEX
zrange z 0 -1 rev rev => (error) ERR syntax error
zrange z 0 -1 limit 0 -1 => ["a" "b" "c" "d"]
zrange z 0 -1 limit 5 -1 => ["a" "b" "c" "d"]
zrange z -2 -1 rev withscores => ["b" "2" "a" "1"] || [["b" ,2] ["a" ,1]]
zrangebyscore z 1 2 rev => (error) ERR syntax error
zrangebyscore z 1 2 bylex => (error) ERR syntax error
zrangebylex z - + withscores => (error) ERR syntax error, WITHSCORES not supported in combination with BYLEX
zrangebylex z - + limit 1 2 => ["b" "c"]
zrevrangebylex z + - limit 1 2 => ["c" "b"]
zrevrange z 0 -1 limit 0 1 => (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrevrange z 0 -1 byscore => (error) ERR syntax error
zrevrange z 1 2 withscores => ["c" "3" "b" "2"] || [["c" ,3] ["b" ,2]]
zrevrangebyscore z +inf -inf withscores limit 1 2 => ["c" "3" "b" "2"] || [["c" ,3] ["b" ,2]]
zrevrangebyscore z 3 (1 => ["c" "b"]
zrangestore d z 0 -1 withscores => (error) ERR syntax error
zrangestore d z 0 -1 => :4
zrange d 0 -1 withscores => ["a" "1" "b" "2" "c" "3" "d" "4"] || [["a" ,1] ["b" ,2] ["c" ,3] ["d" ,4]]
zrangestore d z 5 6 => :0
exists d => :0
zrangestore d z 0 0 => :1
zrangestore d nokey 0 -1 => :0
exists d => :0
zrangestore d nokey 0 -1 => :0
zrangestore s z 0 -1 => :4
type s => zset
set s x => OK
zrangestore d s 0 -1 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrangestore d z (1 +inf byscore limit 1 1 => :1
zrange d 0 -1 withscores => ["c" "3"] || [["c" ,3]]
zrangestore d z [b + bylex rev => :0
zrangestore d z + [b bylex rev => :3
zrange d 0 -1 withscores => ["b" "2" "c" "3" "d" "4"] || [["b" ,2] ["c" ,3] ["d" ,4]]
zrangestore d z 0 -1 rev => :4
zrangebylex z - [b => ["a" "b"]
zrangebylex z (a + => ["b" "c" "d"]
zrangebylex z "" + => (error) ERR min or max not valid string range item
zrangebylex z -a + => (error) ERR min or max not valid string range item
zrangebylex z ++ - => (error) ERR min or max not valid string range item
zrangebylex z [ + => ["a" "b" "c" "d"]
zrangebylex z ( + => ["a" "b" "c" "d"]
zrangebylex z + - => []
zrangebylex z - - => []
zrangebylex z + + => []
zrangebylex z [b [b => ["b"]
zrangebylex z (b [b => []
zrangebylex z [e + => []
zrangebylex z - (a => []
zlexcount z - + => :4
zlexcount z [b (d => :2
zlexcount z x y => (error) ERR min or max not valid string range item
zlexcount z + - => :0
zlexcount nokey - + => :0
zcount z 2 3 => :2
zcount z (2 3 => :1
zcount z x 3 => (error) ERR min or max is not a float
zcount s 1 2 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zcount nokey 1 2 => :0
zcount z -inf +inf => :4
zcount z 5 6 => :0
zrangebyscore z -inf +inf limit 1 => (error) ERR syntax error
del z z2 set1 s d => :3
zadd z 1 a 2 b 3 c => :3
zadd z2 10 b 20 c 30 d => :3
sadd set1 a d x => :3
set s x => OK
zunion 2 z z2 withscores => ["a" "1" "b" "12" "c" "23" "d" "30"] || [["a" ,1] ["b" ,12] ["c" ,23] ["d" ,30]]
zinter 2 z z2 withscores => ["b" "12" "c" "23"] || [["b" ,12] ["c" ,23]]
zdiff 2 z z2 withscores => ["a" "1"] || [["a" ,1]]
zunion 3 z z2 set1 withscores => ["x" "1" "a" "2" "b" "12" "c" "23" "d" "31"] || [["x" ,1] ["a" ,2] ["b" ,12] ["c" ,23] ["d" ,31]]
zinter 2 z set1 weights 2 3 withscores => ["a" "5"] || [["a" ,5]]
zunion 2 z z2 aggregate min withscores => ["a" "1" "b" "2" "c" "3" "d" "30"] || [["a" ,1] ["b" ,2] ["c" ,3] ["d" ,30]]
zunion 2 z z2 aggregate max withscores => ["a" "1" "b" "10" "c" "20" "d" "30"] || [["a" ,1] ["b" ,10] ["c" ,20] ["d" ,30]]
zinter 2 z z2 aggregate min withscores => ["b" "2" "c" "3"] || [["b" ,2] ["c" ,3]]
zinter 2 z z2 aggregate max weights 1 -1 withscores => ["b" "2" "c" "3"] || [["b" ,2] ["c" ,3]]
zunion 2 z z2 aggregate foo => (error) ERR syntax error
zunion 2 z z2 weights 1 => (error) ERR syntax error
zunion 2 z z2 weights 1 x => (error) ERR weight value is not a float
zunion 2 z z2 weights 1 nan => (error) ERR weight value is not a float
zunion 0 z => (error) ERR at least 1 input key is needed for 'zunion' command
zunion -1 z => (error) ERR at least 1 input key is needed for 'zunion' command
zunion x z => (error) ERR value is not an integer or out of range
zunion 3 z z2 => (error) ERR syntax error
zunion 1 z z2 => (error) ERR syntax error
zunion 1 s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zunion 2 z s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zunion 2 z s foo => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zunion 2 z nokey withscores => ["a" "1" "b" "2" "c" "3"] || [["a" ,1] ["b" ,2] ["c" ,3]]
zinter 2 z nokey withscores => []
zdiff 2 z withscores => ["a" "b" "c"]
zdiff 1 z weights 2 => (error) ERR syntax error
zdiff 1 z aggregate sum => (error) ERR syntax error
zdiff 1 z withscores withscores => ["a" "1" "b" "2" "c" "3"] || [["a" ,1] ["b" ,2] ["c" ,3]]
zdiff 3 z z2 set1 withscores => []
zunion 1 z withscores withscores => ["a" "1" "b" "2" "c" "3"] || [["a" ,1] ["b" ,2] ["c" ,3]]
zunion 1 z => ["a" "b" "c"]
zinter 2 z z => ["a" "b" "c"]
zinter 2 z z weights 1 2 withscores => ["a" "3" "b" "6" "c" "9"] || [["a" ,3] ["b" ,6] ["c" ,9]]
zunionstore d 2 z z2 => :4
zrange d 0 -1 withscores => ["a" "1" "b" "12" "c" "23" "d" "30"] || [["a" ,1] ["b" ,12] ["c" ,23] ["d" ,30]]
zunionstore d 2 z z2 withscores => (error) ERR syntax error
zinterstore d 0 z => (error) ERR at least 1 input key is needed for 'zinterstore' command
zinterstore d 1 z weights => (error) ERR syntax error
zinterstore d 1 z aggregate => (error) ERR syntax error
zinterstore d 2 z z2 => :2
zrange d 0 -1 withscores => ["b" "12" "c" "23"] || [["b" ,12] ["c" ,23]]
zdiffstore d 2 z z2 => :1
zrange d 0 -1 withscores => ["a" "1"] || [["a" ,1]]
zdiffstore d 2 nokey z => :0
exists d => :0
zunion 2 z z2 weights 1 2 weights 3 4 withscores => ["a" "3" "b" "46" "c" "89" "d" "120"] || [["a" ,3] ["b" ,46] ["c" ,89] ["d" ,120]]
zunion 2 z z2 weights inf -inf withscores => ["d" "-inf" "b" "0" "c" "0" "a" "inf"] || [["d" ,-inf] ["b" ,0] ["c" ,0] ["a" ,inf]]
zunion 2 z z2 weights 0 0 withscores => ["a" "0" "b" "0" "c" "0" "d" "0"] || [["a" ,0] ["b" ,0] ["c" ,0] ["d" ,0]]
zunion 1 z weights 0x10 withscores => ["a" "16" "b" "32" "c" "48"] || [["a" ,16] ["b" ,32] ["c" ,48]]
zunion 1 z foo => (error) ERR syntax error
zunionstore d 9999999999 z => (error) ERR syntax error
zunion 99999999999999999999 z => (error) ERR value is not an integer or out of range
zunion 2 z z2 aggregate sum aggregate max withscores => ["a" "1" "b" "10" "c" "20" "d" "30"] || [["a" ,1] ["b" ,10] ["c" ,20] ["d" ,30]]
zunion 1 set1 withscores => ["a" "1" "d" "1" "x" "1"] || [["a" ,1] ["d" ,1] ["x" ,1]]
zunionstore d 1 set1 => :3
zunionstore d 1 nokey => :0
zunionstore d 1 z weights -0 => :3
zrange d 0 -1 withscores => ["a" "0" "b" "0" "c" "0"] || [["a" ,0] ["b" ,0] ["c" ,0]]
zunion 1 z weights -0 withscores => ["a" "-0" "b" "-0" "c" "-0"] || [["a" ,-0] ["b" ,-0] ["c" ,-0]]
zinterstore z 2 z z2 => :2
zrange z 0 -1 withscores => ["b" "12" "c" "23"] || [["b" ,12] ["c" ,23]]
del z => :1
zadd z 1 a 2 b 3 c => :3
zintercard 2 z z2 => :2
zintercard 2 z z2 limit 1 => :1
zintercard 2 z z2 limit 0 => :2
zintercard 2 z z2 limit -1 => (error) ERR LIMIT can't be negative
zintercard 2 z z2 limit x => (error) ERR LIMIT can't be negative
zintercard 0 z => (error) ERR at least 1 input key is needed for 'zintercard' command
zintercard x z => (error) ERR value is not an integer or out of range
zintercard 2 z => (error) ERR syntax error
zintercard 1 z foo => (error) ERR syntax error
zintercard 1 z limit => (error) ERR syntax error
zintercard 1 s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zintercard 2 z set1 => :1
zintercard 2 nokey s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zintercard 2 s nokey => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zintercard 1 z limit 1 limit 2 => :2
zintercard 1 z weights 1 => (error) ERR syntax error
zintercard 1 z withscores => (error) ERR syntax error
zintercard 99999999999999999999 z => (error) ERR value is not an integer or out of range
zpopmin z -1 => (error) ERR value is out of range, must be positive
zpopmin z x => (error) ERR value is out of range, must be positive
zpopmin z 0 => []
zpopmin nokey 0 => []
zpopmin nokey => []
zpopmin nokey 2 => []
zpopmin s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zpopmin s 0 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zpopmin s -1 => (error) ERR value is out of range, must be positive
zpopmin z 1 2 => (error) ERR syntax error
zpopmax z 1 => ["c" "3"] || [["c" ,3]]
zpopmax z => ["b" "2"] || ["b" ,2]
zadd z 1 a 2 b 3 c => :2
zpopmax z 2 => ["c" "3" "b" "2"] || [["c" ,3] ["b" ,2]]
zpopmin z 10 => ["a" "1"] || [["a" ,1]]
exists z => :0
zadd z 1 a 2 b 3 c => :3
zmpop 0 z min => (error) ERR numkeys should be greater than 0
zmpop -1 z min => (error) ERR numkeys should be greater than 0
zmpop 1 z => (error) ERR wrong number of arguments for 'zmpop' command
zmpop 1 z foo => (error) ERR syntax error
zmpop 2 z min => (error) ERR syntax error
zmpop 1 z min count 0 => (error) ERR count should be greater than 0
zmpop 1 z min count -1 => (error) ERR count should be greater than 0
zmpop 1 nokey min => nil
zmpop 2 nokey s min => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zmpop 2 s z min => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zmpop 2 nokey z max count 10 => ["z" [["c" "3"] ["b" "2"] ["a" "1"]]] || ["z" [["c" ,3] ["b" ,2] ["a" ,1]]]
zadd z 1 a 2 b 3 c => :3
zmpop 1 z min count 1 foo => (error) ERR syntax error
zmpop 1 z min count => (error) ERR syntax error
zmpop 1 z MIN COUNT 1 COUNT 2 => (error) ERR syntax error
zmpop x z min => (error) ERR numkeys should be greater than 0
zmpop 1 z MAX => ["z" [["c" "3"]]] || ["z" [["c" ,3]]]
zmpop 1 z min COUNT 1 => ["z" [["a" "1"]]] || ["z" [["a" ,1]]]
zmpop 99999999999999999999 z min => (error) ERR numkeys should be greater than 0
bzmpop 0 1 z min count 5 => ["z" [["b" "2"]]] || ["z" [["b" ,2]]]
zadd z 1 a 2 b => :2
bzpopmin z 0 => ["z" "a" "1"] || ["z" "a" ,1]
bzpopmax z 0 => ["z" "b" "2"] || ["z" "b" ,2]
bzmpop x 0 z min => (error) ERR numkeys should be greater than 0
bzmpop x 1 z min => (error) ERR timeout is not a float or out of range
bzmpop 0 0 z min => (error) ERR numkeys should be greater than 0
bzmpop 0 1 z min count 0 => (error) ERR count should be greater than 0
bzmpop 0 1 z => (error) ERR wrong number of arguments for 'bzmpop' command
bzmpop 0 2 z min => (error) ERR syntax error
bzpopmin z -1 => (error) ERR timeout is negative
bzpopmin z abc => (error) ERR timeout is not a float or out of range
bzpopmin z 1e400 => (error) ERR timeout is negative
bzpopmin s 0 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
bzpopmin nokey s 0 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
multi => OK
bzpopmin nokey 0 => QUEUED
bzmpop 0 1 nokey min => QUEUED
zadd z 5 q => QUEUED
bzpopmin z 0 => QUEUED
exec => [nil nil :1 ["z" "q" "5"]] || [nil nil :1 ["z" "q" ,5]]
del z => :0
zadd z 1 a 2 b 3 c => :3
zrandmember nokey => nil
zrandmember nokey 5 => []
zrandmember nokey -5 withscores => []
zrandmember z 0 => []
zrandmember z 0 withscores => []
zrandmember z x => (error) ERR value is not an integer or out of range
zrandmember z 1 foo => (error) ERR syntax error
zrandmember z 1 withscores foo => (error) ERR syntax error
zrandmember s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrandmember s 1 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrandmember z -9223372036854775808 => (error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807
zrandmember z -4611686018427387904 withscores => (error) ERR value is out of range
zrandmember z 4611686018427387904 withscores => (error) ERR value is out of range
zrandmember z 5 withscores => ["c" "3" "b" "2" "a" "1"] || [["c" ,3] ["b" ,2] ["a" ,1]]
zrandmember z 3 => ["c" "b" "a"]
zrandmember z 9223372036854775807 => ["c" "b" "a"]
zrandmember nokey x => (error) ERR value is not an integer or out of range
zrandmember z withscores => (error) ERR value is not an integer or out of range
zrank z b => :1
zrank z x => nil
zrank nokey x => nil
zrevrank z a => :2
zrank s a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrank z a withscore => (error) ERR wrong number of arguments for 'zrank' command
zmscore z => (error) ERR wrong number of arguments for 'zmscore' command
zmscore nokey a b => [nil nil]
zmscore s a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zscore s a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zcard z => :3
zcard nokey => :0
zcard s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrem z a x => :1
zrem z x => :0
zrem s x => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrem nokey x => :0
zremrangebyrank z 0 0 => :1
zremrangebyrank z x 0 => (error) ERR value is not an integer or out of range
zremrangebyrank z 5 6 => :0
zadd z 1 a 2 b 3 c => :2
zremrangebyscore z (1 2 => :1
zremrangebyscore z x 2 => (error) ERR min or max is not a float
zremrangebylex z - [a => :1
zremrangebylex z x y => (error) ERR min or max not valid string range item
zremrangebylex nokey - + => :0
zremrangebyscore s 1 2 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zremrangebyrank z 0 -1 => :1
exists z => :0
zadd z 1 a 2 b 3 c 4 d 5 e => :5
zremrangebyrank z -2 -1 => :2
zremrangebyrank z 1 0 => :0
zremrangebyscore z -inf (2 => :1
zrange z 0 -1 withscores => ["b" "2" "c" "3"] || [["b" ,2] ["c" ,3]]
zscan z 0 => ["0" ["b" "2" "c" "3"]]
zscan z 0 match a* => ["0" []]
zscan z 0 count 1 => ["0" ["b" "2" "c" "3"]]
zscan z x => (error) ERR invalid cursor
zscan z 0 count 0 => (error) ERR syntax error
zscan z 0 count x => (error) ERR value is not an integer or out of range
zscan z 0 foo => (error) ERR syntax error
zscan z 0 type zset => (error) ERR syntax error
zscan nokey 0 => ["0" []]
zscan s 0 => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zscan z 5 => ["0" ["b" "2" "c" "3"]]
zscan nokey 0 foo => ["0" []]
zscan s 0 foo => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zscan nokey x => (error) ERR invalid cursor
zscan z 0 noscores => (error) ERR syntax error
del z => :1
zadd z -0 a 0 b => :2
zscore z a => "0" || ,0
zrange z 0 -1 withscores => ["a" "0" "b" "0"] || [["a" ,0] ["b" ,0]]
zincrby z nx a => (error) ERR syntax error
zincrby z incr a => (error) ERR syntax error
zincrby z 1 c => "1" || ,1
zadd z incr -0 n => "-0" || ,-0
zscore z n => "0" || ,0
zadd z 1.5 x => :1
zincrby z 1e300 x => "1.0000000000000001e+300" || ,1.0000000000000001e+300
zincrby z 1e300 x => "2.0000000000000001e+300" || ,2.0000000000000001e+300
zadd z 0.1 y => :1
zscore z y => "0.10000000000000001" || ,0.10000000000000001
zrange z 0 -1 withscores => ["a" "0" "b" "0" "n" "0" "y" "0.10000000000000001" "c" "1" "x" "2.0000000000000001e+300"] || [["a" ,0] ["b" ,0] ["n" ,0] ["y" ,0.10000000000000001] ["c" ,1] ["x" ,2.0000000000000001e+300]]
zadd z 1e17 b 123456789012345678 c 0.30000000000000004 d => :1
zscan z 0 => ["0" ["a" "0" "n" "0" "y" "0.10000000000000001" "d" "0.30000000000000004" "b" "100000000000000000" "c" "123456789012345680" "x" "2.0000000000000001e+300"]]
zadd lz 1 $L65 => :1
object encoding lz => "skiplist"
zadd lz -0 neg 2 b => :2
zscore lz neg => "-0" || ,-0
zrange lz 0 -1 withscores => ["neg" "-0" "$L65" "1" "b" "2"] || [["neg" ,-0] ["$L65" ,1] ["b" ,2]]
zrangestore d lz 0 -1 => :3
object encoding d => "skiplist"
zrangestore d lz 1 2 => :2
object encoding d => "skiplist"
zrange d 0 -1 withscores => ["$L65" "1" "b" "2"] || [["$L65" ,1] ["b" ,2]]
zadd big $BIG => :130
object encoding big => "skiplist"
zremrangebyrank big 0 120 => :121
object encoding big => "skiplist"
zrangestore d big 0 -1 => :9
object encoding d => "listpack"
zunionstore d 1 big => :9
object encoding d => "listpack"
zcard big => :9
zrange big 0 -1 withscores => ["m122" "122" "m123" "123" "m124" "124" "m125" "125" "m126" "126" "m127" "127" "m128" "128" "m129" "129" "m130" "130"] || [["m122" ,122] ["m123" ,123] ["m124" ,124] ["m125" ,125] ["m126" ,126] ["m127" ,127] ["m128" ,128] ["m129" ,129] ["m130" ,130]]
zrank big m125 => :3
zrevrank big m125 => :5
zcount big 124 (127 => :3
zrangebyscore big (124 127 limit 1 1 => ["m126"]
zrangebylex big - + limit 2 3 => ["m124" "m125" "m126"]
zrevrangebylex big + - limit 2 3 => ["m128" "m127" "m126"]
zlexcount big - + => :9
zpopmax big 2 => ["m130" "130" "m129" "129"] || [["m130" ,130] ["m129" ,129]]
zmpop 1 big min count 2 => ["big" [["m122" "122"] ["m123" "123"]]] || ["big" [["m122" ,122] ["m123" ,123]]]
zscore big m127 => "127" || ,127
zunion 2 lz big withscores => ["neg" "-0" "$L65" "1" "b" "2" "m124" "124" "m125" "125" "m126" "126" "m127" "127" "m128" "128"] || [["neg" ,-0] ["$L65" ,1] ["b" ,2] ["m124" ,124] ["m125" ,125] ["m126" ,126] ["m127" ,127] ["m128" ,128]]
zinter 2 lz lz withscores => ["neg" "-0" "$L65" "2" "b" "4"] || [["neg" ,-0] ["$L65" ,2] ["b" ,4]]
zrem big m127 m128 m129 m130 => :2
exists big => :1
# reset
del z d => :0
zadd z gt 1 a => :1
zadd z lt 1 b => :1
zadd z gt ch 0 a 5 c => :1
zadd z lt ch 0 a 5 c => :1
zadd z xx incr 1 nomember => nil
zadd z xx ch 10 a 10 nomember => :1
zadd z nx ch 10 a 10 q => :1
zadd z ch incr 1 a => "11" || ,11
zadd z ch incr 0 a => "11" || ,11
zadd z gt incr 0 a => nil
zadd z CH GT INCR 5 a => "16" || ,16
zadd z NX XX GT 1 a => (error) ERR XX and NX options at the same time are not compatible
zadd z incr incr 1 a => "17" || ,17
zadd z 1 a incr 1 a => (error) ERR syntax error
zrange z 0 -1 withscores => ["b" "1" "c" "5" "q" "10" "a" "17"] || [["b" ,1] ["c" ,5] ["q" ,10] ["a" ,17]]
zincrby newkey 2.5 m => "2.5" || ,2.5
zincrby newkey 0x1p-2 m => "2.75" || ,2.75
zscore newkey m => "2.75" || ,2.75
zincrby newkey -inf m => "-inf" || ,-inf
zincrby newkey +inf m => (error) ERR resulting score is not a number (NaN)
zincrby newkey 1e308 m => "-inf" || ,-inf
zincrby newkey 1e308 m => "-inf" || ,-inf
zadd z 1.7976931348623157e308 big => :1
zincrby z 1.7976931348623157e308 big => "inf" || ,inf
zscore z big => "inf" || ,inf
del z => :1
zadd z 0 a 0 b 0 c 0 d 0 e 0 f 0 g => :7
zrangebylex z [b (e => ["b" "c" "d"]
zrangebylex z (b [e limit 0 2 => ["c" "d"]
zrevrangebylex z [e (b => ["e" "d" "c"]
zrevrangebylex z (e [b limit 1 1 => ["c"]
zrevrangebylex z - + => []
zrevrangebylex z + - => ["g" "f" "e" "d" "c" "b" "a"]
zrevrangebylex z [c [c => ["c"]
zrangebylex z [aa [cc => ["b" "c"]
zremrangebylex z (a (c => :1
zrange z 0 -1 => ["a" "c" "d" "e" "f" "g"]
zremrangebylex z [f + => :2
zrange z 0 -1 => ["a" "c" "d" "e"]
zlexcount z (a + => :3
zlexcount z - (a => :0
zlexcount z [a [a => :1
zadd z 1 zz 2 yy => :2
zrangebylex z - + => ["a" "c" "d" "e" "zz" "yy"]
zrangebylex z [c + => ["c" "d" "e" "zz" "yy"]
zlexcount z [c + => :5
zrangestore d z [c + bylex limit 1 2 => :2
zrange d 0 -1 withscores => ["d" "0" "e" "0"] || [["d" ,0] ["e" ,0]]
zrangestore d z 0 -1 byscore limit 0 2 => :0
zrange d 0 -1 withscores => []
zrangestore d z 2 1 byscore rev => :2
zrange d 0 -1 withscores => ["zz" "1" "yy" "2"] || [["zz" ,1] ["yy" ,2]]
zrangestore d z 0 1 rev => :2
zrange d 0 -1 withscores => ["zz" "1" "yy" "2"] || [["zz" ,1] ["yy" ,2]]
zrangestore d z 0 -1 rev rev => (error) ERR syntax error
zrangestore d z 0 -1 limit 1 1 => (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrangestore d z 0 -1 bylex => (error) ERR min or max not valid string range item
zrangestore d z 0 => (error) ERR wrong number of arguments for 'zrangestore' command
del z => :1
zadd z 1 a 1 b 2 c 2 d 3 e => :5
zrangebyscore z 1 2 => ["a" "b" "c" "d"]
zrangebyscore z (1 2 => ["c" "d"]
zrangebyscore z 1 (2 => ["a" "b"]
zrangebyscore z (1 (2 => []
zrangebyscore z (1 (1 => []
zrangebyscore z 1 1 => ["a" "b"]
zrangebyscore z 2 1 => []
zrevrangebyscore z 2 1 withscores => ["d" "2" "c" "2" "b" "1" "a" "1"] || [["d" ,2] ["c" ,2] ["b" ,1] ["a" ,1]]
zrevrangebyscore z (2 1 withscores => ["b" "1" "a" "1"] || [["b" ,1] ["a" ,1]]
zrevrangebyscore z 2 (1 withscores => ["d" "2" "c" "2"] || [["d" ,2] ["c" ,2]]
zrevrangebyscore z 1 2 => []
zrevrangebyscore z +inf -inf limit 0 0 => []
zrevrangebyscore z +inf -inf limit 4 10 => ["a"]
zrevrangebyscore z +inf -inf limit 5 10 => []
zrangebyscore z -inf +inf withscores limit 2 -1 => ["c" "2" "d" "2" "e" "3"] || [["c" ,2] ["d" ,2] ["e" ,3]]
zrangebyscore z -inf +inf withscores limit 2 1 withscores => ["c" "2"] || [["c" ,2]]
zrangebyscore z -inf +inf limit 9223372036854775807 1 => []
zrangebyscore z -inf +inf limit 0 9223372036854775807 => ["a" "b" "c" "d" "e"]
zrangebyscore z -inf +inf limit 0 x => (error) ERR value is not an integer or out of range
zrangebyscore z -inf +inf limit x 0 => (error) ERR value is not an integer or out of range
zremrangebyscore z (1 (3 => :2
zrange z 0 -1 withscores => ["a" "1" "b" "1" "e" "3"] || [["a" ,1] ["b" ,1] ["e" ,3]]
zremrangebyscore z -inf +inf => :3
exists z => :0
zadd z 1 a 2 b 3 c => :3
zremrangebyrank z -100 100 => :3
exists z => :0
zadd z 1 a 2 b 3 c => :3
zremrangebyrank z -1 -2 => :0
zremrangebyrank z 2 9223372036854775807 => :1
zremrangebyrank z -9223372036854775808 0 => :1
zrange z 0 -1 => ["b"]
zrank z b => :0
zrevrank z b => :0
zrank z a => nil
del z z2 z3 => :1
zadd z 1 a 2 b 3 c => :3
zadd z2 1 a 2 b => :2
zadd z3 inf a -inf b => :2
zunion 3 z z2 z3 withscores => ["b" "-inf" "c" "3" "a" "inf"] || [["b" ,-inf] ["c" ,3] ["a" ,inf]]
zunion 3 z z2 z3 aggregate min withscores => ["b" "-inf" "a" "1" "c" "3"] || [["b" ,-inf] ["a" ,1] ["c" ,3]]
zunion 3 z z2 z3 aggregate max withscores => ["b" "2" "c" "3" "a" "inf"] || [["b" ,2] ["c" ,3] ["a" ,inf]]
zinter 3 z z2 z3 withscores => ["b" "-inf" "a" "inf"] || [["b" ,-inf] ["a" ,inf]]
zinter 3 z z2 z3 weights 0 1 1 withscores => ["b" "-inf" "a" "inf"] || [["b" ,-inf] ["a" ,inf]]
zinter 3 z z2 z3 weights 1 1 0 aggregate min withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zinter 3 z z2 z3 weights 1 1 0 aggregate max withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zunion 3 z z2 z3 weights 0 0 0 withscores => ["a" "0" "b" "0" "c" "0"] || [["a" ,0] ["b" ,0] ["c" ,0]]
zunion 2 z z2 weights 1.5 0.1 withscores => ["a" "1.6000000000000001" "b" "3.2000000000000002" "c" "4.5"] || [["a" ,1.6000000000000001] ["b" ,3.2000000000000002] ["c" ,4.5]]
zunion 2 z z2 weights 0.1 0.2 withscores => ["a" "0.30000000000000004" "c" "0.30000000000000004" "b" "0.60000000000000009"] || [["a" ,0.30000000000000004] ["c" ,0.30000000000000004] ["b" ,0.60000000000000009]]
zinter 2 z z2 weights 0.1 0.2 withscores => ["a" "0.30000000000000004" "b" "0.60000000000000009"] || [["a" ,0.30000000000000004] ["b" ,0.60000000000000009]]
zunion 3 z z2 z3 weights 1 1 WITHSCORES => (error) ERR weight value is not a float
zunion 3 z z2 z3 WEIGHTS 1 1 1 AGGREGATE SUM WITHSCORES => ["b" "-inf" "c" "3" "a" "inf"] || [["b" ,-inf] ["c" ,3] ["a" ,inf]]
zunionstore z3 2 z3 z => :3
zrange z3 0 -1 withscores => ["b" "-inf" "c" "3" "a" "inf"] || [["b" ,-inf] ["c" ,3] ["a" ,inf]]
zdiff 2 z z2 => ["c"]
zdiff 2 z z => []
zdiff 1 nokey => []
zdiffstore d 1 z2 => :2
zrange d 0 -1 withscores => ["a" "1" "b" "2"] || [["a" ,1] ["b" ,2]]
zdiffstore d 1 nokey => :0
exists d => :0
zinterstore d 2 z nokey => :0
zintercard 3 z z2 z3 => :2
zintercard 2 z z limit 2 => :2
zunion 1 s => []
set s x => OK
zinterstore d 1 s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zunionstore d 2 z s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zdiffstore d 2 s z => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zdiffstore d 2 z s => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zadd e 1 m => :1
zinter 2 e nokey withscores => []
zunion 1 nokey withscores => []
zunion 1 nokey => []
zinter 1 z withscores => ["a" "1" "b" "2" "c" "3"] || [["a" ,1] ["b" ,2] ["c" ,3]]
# reset
del z s d => :0
zadd z 1 b 2 a 3 d 4 c 0 e => :5
zrangebylex z - + => ["e" "b" "a" "d" "c"]
zrangebylex z [b + => ["e" "b" "a" "d" "c"]
zrangebylex z [a [c => []
zrangebylex z (a (d => []
zrevrangebylex z [d [a => []
zrevrangebylex z + [c => ["c" "d"]
zlexcount z [b + => :5
zlexcount z [a [c => :0
zlexcount z - + => :5
zremrangebylex z [b [c => :0
zrange z 0 -1 withscores => ["e" "0" "b" "1" "a" "2" "d" "3" "c" "4"] || [["e" ,0] ["b" ,1] ["a" ,2] ["d" ,3] ["c" ,4]]
zadd z 1 b 2 a 3 d 4 c 0 e => :0
zremrangebylex z (a + => :5
zrange z 0 -1 withscores => []
sadd s 1 2 3 => :3
zadd s 1 a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zincrby s 1 a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zrem s a => (error) WRONGTYPE Operation against a key holding the wrong kind of value
zinterstore d 2 s s weights 2 3 => :3
zrange d 0 -1 withscores => ["1" "5" "2" "5" "3" "5"] || [["1" ,5] ["2" ,5] ["3" ,5]]
zintercard 2 s s => :3
zunion 2 s s aggregate max withscores => ["1" "1" "2" "1" "3" "1"] || [["1" ,1] ["2" ,1] ["3" ,1]]
set d x => OK
expire d 100 => :1
zunionstore d 1 s => :3
ttl d => :-1
zadd z 1 a => :1
expire z 100 => :1
zadd z 2 a => :0
ttl z => :100
zrangestore z z 0 0 => :1
ttl z => :-1
zscan z 0 match *a* => ["0" ["a" "2"]]
zscan z 0 MATCH b COUNT 100 => ["0" []]
zscan z 0 count 5 match x => ["0" []]
zadd m 5 a 5 b 5 c => :3
zrangebyscore m 5 5 limit 1 1 => ["b"]
zrevrangebyscore m 5 5 limit 1 1 => ["b"]
zrangebyscore m (5 +inf => []
zrevrank m c => :0
zadd m -inf n +inf p => :2
zrangebyscore m -inf -inf => ["n"]
zrangebyscore m +inf +inf => ["p"]
zrangebyscore m (-inf (+inf => ["a" "b" "c"]
zcount m -inf +inf => :5
zcount m (-inf (+inf => :3
zincrby m 1 p => "inf" || ,inf
zincrby m -inf n => "-inf" || ,-inf
zadd m incr nan p => (error) ERR value is not a valid float
zunion 1 m weights 0 withscores => ["a" "0" "b" "0" "c" "0" "n" "0" "p" "0"] || [["a" ,0] ["b" ,0] ["c" ,0] ["n" ,0] ["p" ,0]]
zunion 1 m weights -1 withscores => ["p" "-inf" "a" "-5" "b" "-5" "c" "-5" "n" "inf"] || [["p" ,-inf] ["a" ,-5] ["b" ,-5] ["c" ,-5] ["n" ,inf]]
`

// zSplitArgs splits a script command on spaces; double quotes group.
func zSplitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, has := false, false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			quoted, has = !quoted, true
		case ch == ' ' && !quoted:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(ch)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func zExpand(s string) string {
	var big strings.Builder
	for i := 1; i <= 130; i++ {
		if i > 1 {
			big.WriteByte(' ')
		}
		big.WriteString(strconv.Itoa(i) + " m" + strconv.Itoa(i))
	}
	s = strings.ReplaceAll(s, "$BIG", big.String())
	return strings.ReplaceAll(s, "$L65", strings.Repeat("x", 65))
}

// runZScript runs script lines on a fresh engine with a client of proto.
func runZScript(t *testing.T, proto int, script string) {
	t.Helper()
	var te *testEnv
	var c *Client
	reset := func() {
		te = newTestEnv(t)
		c = te.client()
		c.W.Proto = proto
	}
	reset()
	for _, line := range strings.Split(script, "\n") {
		if line == "# reset" {
			reset()
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, want, ok := strings.Cut(line, " => ")
		if !ok {
			t.Fatalf("bad script line %q", line)
		}
		w2, w3, differs := strings.Cut(want, " || ")
		want = w2
		if proto == 3 && differs {
			want = w3
		}
		if got := te.run(c, zSplitArgs(zExpand(cmd))...); got != zExpand(want) {
			t.Errorf("RESP%d %s\n got  %s\n want %s", proto, cmd, got, zExpand(want))
		}
	}
}

func TestZSetScript(t *testing.T) {
	runZScript(t, 2, zsetScript)
	runZScript(t, 3, zsetScript)
}

// zProp returns and clears the propagated commands, one a string.
func zProp(te *testEnv) string {
	var out []string
	for _, argv := range te.prop {
		out = append(out, strings.Join(argv, " "))
	}
	te.prop = nil
	return strings.Join(out, "; ")
}

func TestZSetPropagation(t *testing.T) {
	tests := []struct {
		setup []string
		cmd   []string
		prop  string
	}{
		{nil, []string{"zadd", "z", "1", "a"}, "zadd z 1 a"},
		{[]string{"zadd z 1 a"}, []string{"zadd", "z", "1", "a"}, ""},
		{[]string{"zadd z 1 a"}, []string{"zadd", "z", "nx", "2", "a"}, ""},
		{[]string{"zadd z 1 a"}, []string{"zadd", "z", "incr", "0", "a"}, ""},
		{[]string{"zadd z 1 a"}, []string{"zadd", "z", "1", "a", "2", "a"}, "zadd z 1 a 2 a"},
		{nil, []string{"zincrby", "z", "1", "a"}, "zincrby z 1 a"},
		{nil, []string{"zrem", "z", "a"}, ""},
		{[]string{"zadd z 1 a 2 b"}, []string{"zpopmin", "z"}, "zpopmin z"},
		{[]string{"zadd z 1 a 2 b"}, []string{"zpopmin", "z", "0"}, ""},
		{[]string{"zadd z 1 a 2 b"}, []string{"zpopmax", "z", "5"}, "zpopmax z 5"},
		{[]string{"zadd z 1 a 2 b"}, []string{"zmpop", "2", "nokey", "z", "min", "count", "5"}, "ZPOPMIN z 2"},
		{[]string{"zadd z 1 a 2 b"}, []string{"zmpop", "1", "z", "max"}, "ZPOPMAX z 1"},
		{[]string{"zadd z 1 a 2 b"}, []string{"bzpopmin", "z", "0"}, "ZPOPMIN z"},
		{[]string{"zadd z 1 a 2 b"}, []string{"bzpopmax", "nokey", "z", "0"}, "ZPOPMAX z"},
		{[]string{"zadd z 1 a 2 b"}, []string{"bzmpop", "0", "1", "z", "min", "count", "5"}, "ZPOPMIN z 2"},
		{[]string{"zadd z 1 a 2 b"}, []string{"zremrangebyscore", "z", "5", "6"}, ""},
		{[]string{"zadd z 1 a 2 b"}, []string{"zremrangebyrank", "z", "0", "0"}, "zremrangebyrank z 0 0"},
		{[]string{"zadd z 1 a 2 b"}, []string{"zrangestore", "d", "z", "0", "-1"}, "zrangestore d z 0 -1"},
		{nil, []string{"zrangestore", "d", "z", "0", "-1"}, ""},
		{[]string{"zadd d 1 x"}, []string{"zrangestore", "d", "nokey", "0", "-1"}, "zrangestore d nokey 0 -1"},
		{[]string{"zadd d 1 x"}, []string{"zunionstore", "d", "1", "nokey"}, "zunionstore d 1 nokey"},
		{nil, []string{"zinterstore", "d", "1", "nokey"}, ""},
		{[]string{"zadd z 1 a"}, []string{"zdiffstore", "d", "1", "z"}, "zdiffstore d 1 z"},
	}
	for _, tc := range tests {
		te := newTestEnv(t)
		c := te.client()
		for _, s := range tc.setup {
			te.run(c, strings.Fields(s)...)
		}
		te.prop = nil
		te.run(c, tc.cmd...)
		if got := zProp(te); got != tc.prop {
			t.Errorf("%v propagated %q, want %q", tc.cmd, got, tc.prop)
		}
	}
}

func TestZSetDirty(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	before := te.e.Dirty
	te.run(c, "zadd", "z", "1", "a", "2", "b", "3", "c")
	te.run(c, "zadd", "z", "1", "a", "5", "b")
	te.run(c, "zrem", "z", "a", "b", "x")
	if got := te.e.Dirty - before; got != 3+1+2 {
		t.Errorf("dirty grew by %d, want 6 (one a changed member, as Redis)", got)
	}
}

func TestZSetBlockingServed(t *testing.T) {
	tests := []struct {
		block, write []string
		proto        int
		want, prop   string
	}{
		{[]string{"bzpopmin", "z", "0"}, []string{"zadd", "z", "2", "b", "1", "a"}, 2,
			`["z" "a" "1"]`, "zadd z 2 b 1 a; ZPOPMIN z"},
		{[]string{"bzpopmax", "k1", "z", "0"}, []string{"zadd", "z", "2", "b", "1", "a"}, 3,
			`["z" "b" ,2]`, "zadd z 2 b 1 a; ZPOPMAX z"},
		{[]string{"bzmpop", "0", "2", "k1", "z", "min", "count", "5"}, []string{"zadd", "z", "2", "b", "1", "a"}, 2,
			`["z" [["a" "1"] ["b" "2"]]]`, "zadd z 2 b 1 a; ZPOPMIN z 2"},
		{[]string{"bzmpop", "0", "1", "z", "max"}, []string{"zadd", "z", "2", "b", "1", "a"}, 3,
			`["z" [["b" ,2]]]`, "zadd z 2 b 1 a; ZPOPMAX z 1"},
		{[]string{"bzpopmin", "z", "0"}, []string{"zincrby", "z", "1.5", "m"}, 2,
			`["z" "m" "1.5"]`, "zincrby z 1.5 m; ZPOPMIN z"},
		{[]string{"bzpopmin", "z", "0"}, []string{"zunionstore", "z", "1", "src"}, 2,
			`["z" "s" "1"]`, "zunionstore z 1 src; ZPOPMIN z"},
	}
	for _, tc := range tests {
		te := newTestEnv(t)
		a, b := te.client(), te.client()
		a.W.Proto = tc.proto
		te.run(b, "sadd", "src", "s")
		te.prop = nil
		if got := te.do(a, tc.block...); got != "" || !a.Blocked() {
			t.Fatalf("%v: replied %q, blocked %v", tc.block, got, a.Blocked())
		}
		te.run(b, tc.write...)
		if got := takeReply(t, a); got != tc.want || a.Blocked() {
			t.Errorf("%v after %v: %s (blocked %v), want %s", tc.block, tc.write, got, a.Blocked(), tc.want)
		}
		if got := zProp(te); got != tc.prop {
			t.Errorf("%v after %v propagated %q, want %q", tc.block, tc.write, got, tc.prop)
		}
		if te.e.BlockedClients() != 0 || te.e.BlockedKeys() != 0 {
			t.Errorf("%d clients / %d keys still blocked", te.e.BlockedClients(), te.e.BlockedKeys())
		}
	}
}

func TestZSetBlockingOrder(t *testing.T) {
	te := newTestEnv(t)
	c1, c2, c3, w := te.client(), te.client(), te.client(), te.client()
	te.do(c1, "bzpopmin", "z", "0")
	te.do(c2, "bzpopmin", "z", "0")
	te.do(c3, "bzpopmin", "z", "0")
	te.run(w, "zadd", "z", "1", "a", "2", "b")
	// First come, first served; the third waits on.
	if got := takeReply(t, c1); got != `["z" "a" "1"]` {
		t.Errorf("first client got %s", got)
	}
	if got := takeReply(t, c2); got != `["z" "b" "2"]` {
		t.Errorf("second client got %s", got)
	}
	if got := takeReply(t, c3); got != "" || !c3.Blocked() {
		t.Errorf("third client got %q, blocked %v", got, c3.Blocked())
	}
	if got := zProp(te); got != "zadd z 1 a 2 b; ZPOPMIN z; ZPOPMIN z" {
		t.Errorf("propagated %q", got)
	}

	// A transaction that fills two keys wakes the client with the key it
	// filled first, as Redis serves keys in the order they became ready.
	te2 := newTestEnv(t)
	a, b := te2.client(), te2.client()
	te2.do(a, "bzpopmax", "z1", "z2", "0")
	te2.run(b, "multi")
	te2.run(b, "zadd", "z2", "1", "x")
	te2.run(b, "zadd", "z1", "1", "y")
	if got := te2.run(b, "exec"); got != "[:1 :1]" {
		t.Fatalf("exec: %s", got)
	}
	if got := takeReply(t, a); got != `["z2" "x" "1"]` {
		t.Errorf("served %s, want z2's member", got)
	}
	if got := zProp(te2); got != "MULTI; zadd z2 1 x; zadd z1 1 y; EXEC; ZPOPMAX z2" {
		t.Errorf("propagated %q", got)
	}
}

func TestZSetBlockingWrongTypeAndEmpty(t *testing.T) {
	te := newTestEnv(t)
	a, b := te.client(), te.client()
	te.do(a, "bzpopmin", "k", "0")
	// The key becomes a string: Redis 7.0 keeps the client blocked.
	te.run(b, "set", "k", "x")
	if got := takeReply(t, a); got != "" || !a.Blocked() {
		t.Fatalf("after SET: %q, blocked %v", got, a.Blocked())
	}
	te.run(b, "del", "k")
	// Added and removed in one transaction: still nothing to pop.
	te.run(b, "multi")
	te.run(b, "zadd", "k", "1", "a")
	te.run(b, "zrem", "k", "a")
	te.run(b, "exec")
	if got := takeReply(t, a); got != "" || !a.Blocked() {
		t.Fatalf("after MULTI add+remove: %q, blocked %v", got, a.Blocked())
	}
	te.run(b, "zadd", "k", "1", "a")
	if got := takeReply(t, a); got != `["k" "a" "1"]` {
		t.Errorf("finally got %s", got)
	}
}

func TestZSetBlockingTimeout(t *testing.T) {
	for _, proto := range []int{2, 3} {
		te := newTestEnv(t)
		te.e.Now = func() time.Time { return time.UnixMilli(te.now) }
		want := map[int]string{2: "*-1\r\n", 3: "_\r\n"}[proto]
		for _, cmd := range [][]string{{"bzpopmin", "z", "1.5"}, {"bzpopmax", "z", "y", "1.5"}, {"bzmpop", "1.5", "1", "z", "min"}} {
			c := te.client()
			c.W.Proto = proto
			te.do(c, cmd...)
			tick := func(ms int64) {
				te.now += ms
				te.e.Mu.Lock()
				te.e.BlockTimeout(c)
				te.e.Mu.Unlock()
			}
			tick(1000)
			if !c.Blocked() || len(c.W.Buf) != 0 {
				t.Fatalf("%v timed out early", cmd)
			}
			tick(500)
			if got := string(c.W.Buf); got != want || c.Blocked() {
				t.Errorf("RESP%d %v: timeout reply %q, want %q", proto, cmd, got, want)
			}
		}
		if len(te.prop) != 0 {
			t.Errorf("timeouts propagated %v", te.prop)
		}
	}
}

// zEncodingOf reads a key's OBJECT ENCODING from the keyspace.
func zEncodingOf(t *testing.T, te *testEnv, key string) string {
	t.Helper()
	e := te.e.KS.DBs[0].Peek([]byte(key))
	if e == nil {
		return "none"
	}
	return e.Val.Val.Encoding()
}

func TestZSetEncodingThresholds(t *testing.T) {
	te := newTestEnv(t)
	te.e.Cfg.ZSetMaxListpackEntries = 3
	te.e.Cfg.ZSetMaxListpackValue = 4
	c := te.client()
	steps := []struct {
		cmd      []string
		key, enc string
	}{
		{[]string{"zadd", "z", "1", "a", "2", "b", "3", "c"}, "z", "listpack"},
		{[]string{"zadd", "z", "1", "a", "9", "b"}, "z", "listpack"},
		{[]string{"zadd", "z", "4", "d"}, "z", "skiplist"},
		{[]string{"zrem", "z", "a", "b", "c"}, "z", "skiplist"},
		{[]string{"zadd", "v", "1", "abcd"}, "v", "listpack"},
		{[]string{"zincrby", "v", "1", "abcde"}, "v", "skiplist"},
		{[]string{"zrangestore", "d", "z", "0", "-1"}, "d", "listpack"},
		{[]string{"zunionstore", "d", "1", "v"}, "d", "skiplist"},
		{[]string{"zrangestore", "d", "v", "0", "0"}, "d", "listpack"},
		{[]string{"zadd", "w", "1", "a", "1", "a", "1", "a", "1", "a"}, "w", "listpack"},
	}
	for _, s := range steps {
		te.run(c, s.cmd...)
		if got := zEncodingOf(t, te, s.key); got != s.enc {
			t.Errorf("after %v: %s is %s, want %s", s.cmd, s.key, got, s.enc)
		}
	}
	te.e.Cfg.ZSetMaxListpackEntries = 0
	te.run(c, "zadd", "e", "1", "a")
	if got := zEncodingOf(t, te, "e"); got != "skiplist" {
		t.Errorf("zset-max-listpack-entries 0: %s", got)
	}
}

func TestZSetRandMember(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	var args []string
	for i := 0; i < 200; i++ {
		args = append(args, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	te.run(c, append([]string{"zadd", "big"}, args...)...)
	te.run(c, append([]string{"zadd", "small"}, args[:20]...)...)
	for _, key := range []string{"big", "small"} {
		size := map[string]int{"big": 200, "small": 10}[key]
		for _, count := range []int{1, 2, size / 2, size - 1, size, size + 5} {
			v, _, _ := resp.ParseReply([]byte(te.do(c, "zrandmember", key, strconv.Itoa(count), "withscores")))
			want := min(count, size)
			if len(v.Elems) != 2*want {
				t.Fatalf("%s count %d: %d elements", key, count, len(v.Elems))
			}
			seen := map[string]bool{}
			for i := 0; i < len(v.Elems); i += 2 {
				m, s := string(v.Elems[i].Str), string(v.Elems[i+1].Str)
				if seen[m] || "m"+s != m {
					t.Fatalf("%s count %d: bad or repeated pair %s %s", key, count, m, s)
				}
				seen[m] = true
			}
		}
		v, _, _ := resp.ParseReply([]byte(te.do(c, "zrandmember", key, "-50")))
		if len(v.Elems) != 50 {
			t.Fatalf("negative count: %d elements", len(v.Elems))
		}
	}
	c.W.Proto = 3
	v, _, _ := resp.ParseReply([]byte(te.do(c, "zrandmember", "small", "-3", "withscores")))
	if len(v.Elems) != 3 || len(v.Elems[0].Elems) != 2 || v.Elems[0].Elems[1].Type != ',' {
		t.Errorf("RESP3 WITHSCORES must nest [member, double] pairs: %v", v)
	}
	if got := te.run(c, "zrandmember", "small", "-20000000"); got != "(error) ERR value is out of range" {
		t.Errorf("huge negative count: %s", got)
	}
	if got := te.run(c, "zrandmember", "small"); !strings.HasPrefix(got, `"m`) {
		t.Errorf("single member: %s", got)
	}
}

func TestZSetScanSkiplist(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	args := []string{"zadd", "z"}
	for i := 0; i < 300; i++ {
		args = append(args, strconv.Itoa(i)+".5", "m"+strconv.Itoa(i))
	}
	te.run(c, args...)
	seen := map[string]string{}
	cursor := "0"
	for calls := 0; ; calls++ {
		v, _, _ := resp.ParseReply([]byte(te.do(c, "zscan", "z", cursor, "count", "20")))
		cursor = string(v.Elems[0].Str)
		els := v.Elems[1].Elems
		for i := 0; i < len(els); i += 2 {
			seen[string(els[i].Str)] = string(els[i+1].Str)
		}
		if cursor == "0" {
			break
		}
		if calls > 300 {
			t.Fatal("scan does not end")
		}
	}
	if len(seen) != 300 || seen["m7"] != "7.5" {
		t.Fatalf("scan saw %d members, m7=%q", len(seen), seen["m7"])
	}
	v, _, _ := resp.ParseReply([]byte(te.do(c, "zscan", "z", "0", "match", "m1?", "count", "1000")))
	if len(v.Elems[1].Elems) != 20 {
		t.Errorf("MATCH m1? gave %d entries, want 10 pairs", len(v.Elems[1].Elems))
	}
}

func TestZSetKeys(t *testing.T) {
	te := newTestEnv(t)
	tests := []struct {
		args []string
		want []int
	}{
		{[]string{"zunion", "2", "a", "b", "withscores"}, []int{2, 3}},
		{[]string{"zunionstore", "d", "2", "a", "b"}, []int{1, 3, 4}},
		{[]string{"zmpop", "1", "a", "min"}, []int{2}},
		{[]string{"bzmpop", "0", "2", "a", "b", "max"}, []int{3, 4}},
		{[]string{"bzpopmin", "a", "b", "0"}, []int{1, 2}},
		{[]string{"zrangestore", "d", "s", "0", "1"}, []int{1, 2}},
		{[]string{"zintercard", "x", "a"}, nil},
	}
	for _, tc := range tests {
		argv := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			argv[i] = []byte(a)
		}
		got := te.e.Table.Lookup(argv[0]).KeyIndexes(argv)
		if zFmtInts(got) != zFmtInts(tc.want) {
			t.Errorf("%v keys %v, want %v", tc.args, got, tc.want)
		}
	}
}

func zFmtInts(v []int) string {
	var s []string
	for _, x := range v {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, " ")
}

func TestZStrtod(t *testing.T) {
	tests := []struct {
		in    string
		score float64
		ok    bool // as a score (getDoubleFromObject)
		bound bool // as a range bound (zslParseRange)
	}{
		{"1", 1, true, true},
		{"-1.5e3", -1500, true, true},
		{"+.5", 0.5, true, true},
		{"5.", 5, true, true},
		{"0x10", 16, true, true},
		{"0X1.8p1", 3, true, true},
		{"-0x1p-2", -0.25, true, true},
		{"inf", math.Inf(1), true, true},
		{"-Infinity", math.Inf(-1), true, true},
		{"1e-310", 1e-310, true, true},
		{"1e-400", 0, false, true},
		{"1e400", 0, false, true},
		{"nan", 0, false, false},
		{"nan(0x1)", 0, false, false},
		{" 1", 0, false, true},
		{"1 ", 0, false, false},
		{"", 0, false, true},
		{"1e", 0, false, false},
		{"0x", 0, false, false},
		{"1_000", 0, false, false},
		{"infinit", 0, false, false},
		{"1\x00junk", 0, false, true},
	}
	for _, tc := range tests {
		f, ok := zParseScore([]byte(tc.in))
		if ok != tc.ok || (ok && f != tc.score) {
			t.Errorf("zParseScore(%q) = %v %v, want %v %v", tc.in, f, ok, tc.score, tc.ok)
		}
		if _, _, ok := zParseScoreBound([]byte(tc.in)); ok != tc.bound {
			t.Errorf("zParseScoreBound(%q) ok %v, want %v", tc.in, ok, tc.bound)
		}
	}
	if f, ex, ok := zParseScoreBound([]byte("(")); !ok || !ex || f != 0 {
		t.Errorf(`"(" is an exclusive 0 for Redis: %v %v %v`, f, ex, ok)
	}
}

func TestZAddAllocs(t *testing.T) {
	te := newTestEnv(t)
	te.e.Prop = nil // propagation copies its arguments: not ZADD's cost
	c := te.client()
	te.run(c, "zadd", "z", "1", "a")
	update := [][]byte{[]byte("zadd"), []byte("z"), []byte("2.5"), []byte("a"), []byte("3e0"), []byte("b")}
	var inserts [][][]byte
	for i := 0; i < 300; i++ {
		inserts = append(inserts, [][]byte{[]byte("zadd"), []byte("z"), []byte("1.25"), []byte("member:" + strconv.Itoa(i))})
	}
	te.e.Mu.Lock()
	defer te.e.Mu.Unlock()
	if n := testing.AllocsPerRun(100, func() {
		c.W.Buf = c.W.Buf[:0]
		te.e.Dispatch(c, update)
	}); n != 0 {
		t.Errorf("ZADD updating members allocates %.1f times", n)
	}
	i := 0
	// A new member stores a dict entry and its name (and, one time in
	// four, a level array).
	if n := testing.AllocsPerRun(200, func() {
		i++
		c.W.Buf = c.W.Buf[:0]
		te.e.Dispatch(c, inserts[i])
	}); n > 3 {
		t.Errorf("ZADD of a new member allocates %.1f times", n)
	}
}
