// SPDX-License-Identifier: GPL-2.0
/*
 * opendxg guest driver: the module, the /dev/dxg misc device and the ivshmem-doorbell PCI glue.
 *
 * /dev/dxg exists whether or not an opendxg device is present (enumeration then finds no adapters).
 * The PCI driver binds to ivshmem-doorbell devices (1af4:1110) whose shared memory starts with the
 * opendxg region magic and leaves every other ivshmem device alone. One opendxg device is served
 * at a time: it is the VM's one channel to dxgd.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>

#include "dxg.h"

#define DXG_PCI_DEVICE_IVSHMEM 0x1110

struct dxg_global dxg_global = {
	.process_lock = __MUTEX_INITIALIZER(dxg_global.process_lock),
	.processes = LIST_HEAD_INIT(dxg_global.processes),
	.channel_rwsem = __RWSEM_INITIALIZER(dxg_global.channel_rwsem),
	.epoch_counter = ATOMIC64_INIT(0),
};

static int dxg_open(struct inode *inode, struct file *file)
{
	struct dxg_process *proc;

	proc = dxg_process_get_current();
	if (IS_ERR(proc))
		return PTR_ERR(proc);
	file->private_data = proc;
	return 0;
}

static int dxg_release(struct inode *inode, struct file *file)
{
	dxg_process_put(file->private_data);
	return 0;
}

static const struct file_operations dxg_fops = {
	.owner = THIS_MODULE,
	.open = dxg_open,
	.release = dxg_release,
	.unlocked_ioctl = dxg_ioctl,
	/* Every pointer in the ABI is a __u64: 32-bit callers use the same layouts. */
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dxg_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dxg",
	.fops = &dxg_fops,
	.mode = 0666,
};

static irqreturn_t dxg_ring_irq_thread(int irq, void *data)
{
	dxg_channel_ring_irq(data);
	return IRQ_HANDLED;
}

static irqreturn_t dxg_control_irq_thread(int irq, void *data)
{
	dxg_channel_control_irq(data);
	return IRQ_HANDLED;
}

static int dxg_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	resource_size_t region_start, region_size;
	struct dxg_channel *ch;
	void __iomem *regs;
	void *region;
	int ret;

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_regions(pdev, DXG_DRIVER_NAME);
	if (ret)
		goto err_disable_device;

	region_start = pci_resource_start(pdev, 2);
	region_size = pci_resource_len(pdev, 2);
	if (!(pci_resource_flags(pdev, 2) & IORESOURCE_MEM) ||
	    region_size < DXG_REGION_HEADER_SIZE ||
	    pci_resource_len(pdev, 0) < DXG_REG_DOORBELL + sizeof(u32)) {
		ret = -ENODEV;
		goto err_release_regions;
	}
	regs = pci_iomap(pdev, 0, 0);
	if (!regs) {
		ret = -ENOMEM;
		goto err_release_regions;
	}
	/* Host RAM behind a BAR: coherent, so cached (the ring code uses virt_* barriers). */
	region = memremap(region_start, region_size, MEMREMAP_WB);
	if (!region) {
		ret = -ENOMEM;
		goto err_unmap_regs;
	}

	/* Somebody else's shared memory: not ours, and not worth a message. */
	if (!dxg_region_is_ours(region, region_size)) {
		ret = -ENODEV;
		goto err_unmap_region;
	}
	if (test_and_set_bit(0, &dxg_global.device_claimed)) {
		dev_warn(&pdev->dev, "another opendxg device is already in use; ignoring this one\n");
		ret = -EBUSY;
		goto err_unmap_region;
	}

	ch = dxg_channel_create(pdev, regs, region, region_start, region_size);
	if (!ch) {
		ret = -ENOMEM;
		goto err_release_claim;
	}

	/* Before MSI-X: without bus mastering the device's MSI-X writes never arrive. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, DXG_VECTORS, DXG_VECTORS, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "needs %u MSI-X vectors (QEMU: vectors=%u): %d\n",
			DXG_VECTORS, DXG_VECTORS, ret);
		goto err_clear_master;
	}
	ret = request_threaded_irq(pci_irq_vector(pdev, DXG_VECTOR_RING), NULL,
				   dxg_ring_irq_thread, IRQF_ONESHOT, "opendxg-ring", ch);
	if (ret)
		goto err_free_vectors;
	ret = request_threaded_irq(pci_irq_vector(pdev, DXG_VECTOR_CONTROL), NULL,
				   dxg_control_irq_thread, IRQF_ONESHOT, "opendxg-control", ch);
	if (ret)
		goto err_free_ring_irq;

	pci_set_drvdata(pdev, ch);

	/*
	 * Connect before publishing, so the first ioctl after the module load finds the adapters.
	 * A failed connection is not a failed probe: the channel connects when the host kicks the
	 * control vector, or on its own retries (a host that was only stopped sends no kick).
	 */
	dxg_channel_start(ch);

	down_write(&dxg_global.channel_rwsem);
	dxg_global.channel = ch;
	up_write(&dxg_global.channel_rwsem);
	return 0;

err_free_ring_irq:
	free_irq(pci_irq_vector(pdev, DXG_VECTOR_RING), ch);
err_free_vectors:
	pci_free_irq_vectors(pdev);
err_clear_master:
	pci_clear_master(pdev);
	dxg_channel_destroy(ch);
err_release_claim:
	clear_bit(0, &dxg_global.device_claimed);
err_unmap_region:
	memunmap(region);
err_unmap_regs:
	pci_iounmap(pdev, regs);
err_release_regions:
	pci_release_regions(pdev);
err_disable_device:
	pci_disable_device(pdev);
	return ret;
}

static void dxg_pci_remove(struct pci_dev *pdev)
{
	struct dxg_channel *ch = pci_get_drvdata(pdev);

	/* Waiters fail with -ENODEV now, so the write lock below is not held up for long. */
	dxg_channel_stop(ch);

	down_write(&dxg_global.channel_rwsem);
	dxg_global.channel = NULL;
	up_write(&dxg_global.channel_rwsem);

	free_irq(pci_irq_vector(pdev, DXG_VECTOR_CONTROL), ch);
	free_irq(pci_irq_vector(pdev, DXG_VECTOR_RING), ch);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	memunmap(ch->region);
	pci_iounmap(pdev, ch->regs);
	dxg_channel_destroy(ch);
	clear_bit(0, &dxg_global.device_claimed);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}

static const struct pci_device_id dxg_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, DXG_PCI_DEVICE_IVSHMEM) },
	{ }
};
MODULE_DEVICE_TABLE(pci, dxg_pci_ids);

static struct pci_driver dxg_pci_driver = {
	.name = DXG_DRIVER_NAME,
	.id_table = dxg_pci_ids,
	.probe = dxg_pci_probe,
	.remove = dxg_pci_remove,
};

static int __init dxg_init(void)
{
	int ret;

	/* The mapping machinery first: a connection (probe) already revokes and grants mappings. */
	ret = dxg_mem_init();
	if (ret)
		return ret;
	ret = dxg_syncfile_init();
	if (ret)
		goto err_mem_exit;
	/* Devices next: when /dev/dxg appears, a present device is already connected. */
	ret = pci_register_driver(&dxg_pci_driver);
	if (ret)
		goto err_syncfile_exit;
	ret = misc_register(&dxg_misc);
	if (ret)
		goto err_unregister_pci;
	return 0;

err_unregister_pci:
	pci_unregister_driver(&dxg_pci_driver);
err_syncfile_exit:
	dxg_syncfile_exit();
err_mem_exit:
	dxg_mem_exit();
	return ret;
}

static void __exit dxg_exit(void)
{
	/* No file can be open here: each (a CPU mapping's file too) holds a module reference. */
	misc_deregister(&dxg_misc);
	pci_unregister_driver(&dxg_pci_driver);
	dxg_syncfile_exit();
	dxg_mem_exit();
}

module_init(dxg_init);
module_exit(dxg_exit);

MODULE_DESCRIPTION("opendxg: D3DKMT (/dev/dxg) GPU paravirtualization guest driver");
MODULE_LICENSE("GPL");
