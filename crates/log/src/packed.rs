//! How a snapshot's bytes are stored: compressed with zstd, in frames that a starting replica
//! decompresses on every core at once.
//!
//! A snapshot of a million events is ~50 MB. Stored as it is, moving it from PostgreSQL to a
//! starting replica took two fifths of that replica's start (226 of ~595 ms on 2026-12-07, four
//! slices over four connections): the bytes' way out through PostgreSQL's protocol and
//! loopback TCP, at ~4 ms of CPU a MB, not reading them from the table (~0.5 ms a MB). What
//! crosses now is the compressed bytes: a fifteenth of them for the bench's log, whose items
//! differ only in a number (fetched and decompressed in 41–51 ms instead of 226), and a bit
//! less than half for a log made up of varied titles, names, links and reviews (7.9 MB stored
//! in 3.4; bench/README, "2026-12-07, 02:02–03:36"). They are also what a snapshot's save writes to the WAL and what each kept snapshot
//! holds on disk.
//!
//! The stored form is a plain run of zstd frames (what `zstd -d` reads), each holding at most
//! [`FRAME`] bytes of the snapshot and saying how many: the reader finds the frames, sizes the
//! snapshot's buffer exactly, and decompresses them on as many threads as there are cores,
//! each frame into its own part of the buffer.

/// The most snapshot bytes one frame holds: small enough that a 50 MB snapshot gives every
/// core several frames, large enough that a frame's own cost (its header, a cold window) does
/// not show.
const FRAME: usize = 4 << 20;

/// zstd's default level. Level 1 saves in half the time, but stored the made-up log above in
/// 4.4 MB instead of 3.4 (the bench's in 4.4 MB instead of 3.6): a snapshot is saved once and
/// read by every replica that starts after it, and decompressing either takes the same time.
const LEVEL: i32 = 3;

/// Stored bytes that are not a snapshot's frames.
#[derive(Debug, thiserror::Error)]
#[error("the stored snapshot is damaged: {0}")]
pub struct Damaged(&'static str);

/// `state` as zstd frames, compressed on up to as many threads as there are cores.
pub fn pack(state: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = state.chunks(FRAME).collect();
    let per_thread = per_thread(chunks.len());
    let packed: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .chunks(per_thread)
            .map(|group| {
                scope.spawn(move || {
                    let mut compressor =
                        zstd::bulk::Compressor::new(LEVEL).expect("zstd's context allocates");
                    // A checksum of each frame's bytes: damage is found where it is, before the
                    // caller's own check of the whole.
                    compressor
                        .set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
                        .expect("a known parameter");
                    let mut out = Vec::new();
                    for chunk in group {
                        // Compressing into memory fails only when memory does.
                        out.extend(compressor.compress(chunk).expect("zstd compresses"));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("compressing does not panic"))
            .collect()
    });
    packed.concat()
}

/// The snapshot's bytes from [`pack`]'s, decompressed on up to as many threads as there are
/// cores into one buffer of the snapshot's exact size.
pub fn unpack(stored: &[u8]) -> Result<Vec<u8>, Damaged> {
    let mut frames: Vec<(&[u8], usize)> = Vec::new();
    let mut rest = stored;
    while !rest.is_empty() {
        let len = zstd::zstd_safe::find_frame_compressed_size(rest)
            .map_err(|_| Damaged("not a run of zstd frames"))?;
        let (frame, tail) = rest.split_at(len);
        // A frame larger than `pack` makes is damage, not a reason to allocate what it says.
        let size = zstd::zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .filter(|&size| size <= FRAME as u64)
            .ok_or(Damaged("a frame without a plausible size"))?;
        frames.push((frame, size as usize));
        rest = tail;
    }
    let mut state = vec![0; frames.iter().map(|(_, size)| size).sum()];
    // Each frame with the part of `state` it fills.
    let mut jobs: Vec<(&[u8], &mut [u8])> = Vec::with_capacity(frames.len());
    let mut unfilled = state.as_mut_slice();
    for (frame, size) in frames {
        let (part, after) = unfilled.split_at_mut(size);
        jobs.push((frame, part));
        unfilled = after;
    }
    let per_thread = per_thread(jobs.len());
    std::thread::scope(|scope| {
        let workers: Vec<_> = jobs
            .chunks_mut(per_thread)
            .map(|group| {
                scope.spawn(move || {
                    let mut decompressor =
                        zstd::bulk::Decompressor::new().expect("zstd's context allocates");
                    for (frame, part) in group.iter_mut() {
                        let filled = decompressor
                            .decompress_to_buffer(frame, *part)
                            .map_err(|_| Damaged("a frame does not decompress"))?;
                        if filled != part.len() {
                            return Err(Damaged("a frame holds fewer bytes than it says"));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("decompressing does not panic"))
    })?;
    Ok(state)
}

/// How many of `frames` each thread takes: as many runs of frames as there are cores (up to
/// eight), at most.
fn per_thread(frames: usize) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    frames.div_ceil(threads).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that compress somewhat, as a snapshot's do.
    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"lately snapshot "[i % 16] ^ (i / 7919 % 251) as u8)
            .collect()
    }

    #[test]
    fn every_size_comes_back_byte_for_byte() {
        for len in [0, 1, 100, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 12_345] {
            let state = sample(len);
            let stored = pack(&state);
            assert!(stored.len() < len.max(64), "{len}: compressed");
            assert!(unpack(&stored).unwrap() == state, "{len}: the bytes differ");
        }
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic_nor_a_wrong_snapshot() {
        let state = sample(2 * FRAME + 99);
        let stored = pack(&state);
        // Cut short, with a byte changed in a frame's body, and not zstd at all.
        assert!(unpack(&stored[..stored.len() - 1]).is_err());
        let mut flipped = stored.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x55;
        assert!(unpack(&flipped).is_err());
        assert!(unpack(b"not a snapshot").is_err());
        // A frame that claims more than a frame holds is refused before anything is allocated.
        let huge = zstd::bulk::compress(&vec![0; FRAME + 1], LEVEL).unwrap();
        assert!(unpack(&huge).is_err());
    }
}
