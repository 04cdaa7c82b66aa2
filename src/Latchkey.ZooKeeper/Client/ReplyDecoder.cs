namespace Latchkey.ZooKeeper.Client;

/// <summary>Turns a reply (its error code and body) into a result, or throws the <see cref="ZooKeeperException"/> for the error.</summary>
internal delegate T ReplyDecoder<out T>(int error, ref JuteReader reader);
