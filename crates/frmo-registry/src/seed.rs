//! Seeding the register: generated organizations (`frmo seed`, benchmarks) and the demo register
//! (`serve --demo`). The generator itself is `frmo_store::seed`.

use frmo_domain::access::Actor;
use frmo_domain::ident::RegionCode;
use frmo_domain::org::Organization;
use frmo_store::VersionRecord;
/// The real organizations of the demo register. A generator, not a row: it returns the domain's
/// `Organization` cards, which tests register through the registry like any other.
pub use frmo_store::seed::real_organizations;
use frmo_store::seed::{Generator, RecordError};

use crate::{Registry, RegistryError, Result};

/// Turns generated organizations into store records (validated, effective from creation).
fn records(organizations: &[Organization]) -> Result<Vec<VersionRecord>> {
    frmo_store::seed::records(organizations).map_err(|error| match error {
        RecordError::Invalid(errors) => RegistryError::Invalid(errors),
        RecordError::Store(error) => error.into(),
    })
}

/// How far seeding has come, for a progress bar.
pub trait Progress: Send {
    fn advance(&mut self, done: u64);
}

impl<F: FnMut(u64) + Send> Progress for F {
    fn advance(&mut self, done: u64) {
        self(done)
    }
}

const BATCH: usize = 2_000;
/// From this many organizations on, an empty register is bulk-loaded (indexes built at the end).
const BULK_FROM: u64 = 50_000;

impl Registry {
    /// Seeds `count` generated organizations spread over every region, numbered after the
    /// numbers already handed out there. Generation runs on a blocking thread while the previous
    /// batch is written.
    pub async fn seed(&self, actor: &Actor, seed: u64, count: u64, mut progress: impl Progress) -> Result<()> {
        Self::check(actor, frmo_domain::access::Action::WriteRegister)?;
        let generator = Generator::new(seed);
        let mut next: Vec<(RegionCode, u32)> = Vec::new();
        for region in generator.regions() {
            next.push((*region, self.store.last_oid_number(2, region.code()).await?));
        }
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Vec<VersionRecord>>>(4);
        let producer = tokio::task::spawn_blocking(move || {
            let mut made = 0u64;
            while made < count {
                let size = (count - made).min(BATCH as u64) as usize;
                // Round-robin over the regions, then grouped by region inside the batch: each
                // region's keys are adjacent in every index, so a batch touches few pages.
                let regions = generator.regions().len();
                let mut slots: Vec<usize> = (0..size).map(|i| (made as usize + i) % regions).collect();
                slots.sort_unstable();
                let organizations: Vec<Organization> = slots
                    .into_iter()
                    .map(|slot| {
                        let slot = &mut next[slot];
                        slot.1 += 1;
                        generator.organization(slot.0, slot.1)
                    })
                    .collect();
                made += size as u64;
                if sender.blocking_send(records(&organizations)).is_err() {
                    return;
                }
            }
        });
        let bulk = if count >= BULK_FROM { self.store.begin_bulk_load().await? } else { None };
        let written = async {
            let mut done = 0u64;
            while let Some(batch) = receiver.recv().await {
                let batch = batch?;
                done += batch.len() as u64;
                self.store.insert_new(batch).await?;
                progress.advance(done);
            }
            Ok::<_, RegistryError>(())
        }
        .await;
        drop(receiver);
        if let Some(bulk) = bulk {
            self.store.finish_bulk_load(bulk).await?;
        }
        written?;
        producer.await.map_err(frmo_store::StoreError::from)?;
        // A batch command (`frmo seed`) builds no index it would throw away on exit: a server
        // builds its own when it starts.
        if self.indexed {
            self.refresh_index().await?;
        }
        Ok(())
    }

    /// Fills an empty register with the demo: the real organizations and `generated` others.
    pub async fn seed_demo(&self, actor: &Actor, generated: u64) -> Result<bool> {
        if self.count().await? > 0 {
            return Ok(false);
        }
        self.register_new(actor, &real_organizations()).await?;
        self.seed(actor, 1461, generated, |_| {}).await?;
        Ok(true)
    }
}
